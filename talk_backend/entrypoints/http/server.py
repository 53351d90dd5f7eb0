"""uvicorn's configuration for this app: one place for the CLI and the test servers.

The access log (on by default, ACCESS_LOG=off turns it off) is uvicorn's own line per
request, written from the protocol: no middleware. OAuth callback queries carry the
authorization `code` and the `state`; both are redacted before the line is formatted."""

from __future__ import annotations

import copy
import logging
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import LOGGING_CONFIG

from talk_backend.entrypoints.http.read_limits import ReadLimits, limited_protocol
from talk_backend.settings import HttpSettings

SECRET_QUERY_PARAMETERS = frozenset({"code", "state"})
_REDACTED = "redacted"
# Request line and headers together (h11's default, stated): more is refused with 400.
MAX_HEAD_BYTES = 16 * 1024


def redact_query(path_with_query: str) -> str:
    """The request target with the values of `code` and `state` replaced."""
    path, sep, query = path_with_query.partition("?")
    if not sep:
        return path_with_query
    pairs = parse_qsl(query, keep_blank_values=True)
    if not any(name in SECRET_QUERY_PARAMETERS for name, _ in pairs):
        return path_with_query
    kept = [(k, _REDACTED if k in SECRET_QUERY_PARAMETERS else v) for k, v in pairs]
    return f"{path}?{urlencode(kept)}"


class RedactOAuthQuery(logging.Filter):
    """For uvicorn's access records, whose args are
    (client, method, path with query, HTTP version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str):
            record.args = (args[0], args[1], redact_query(args[2]), args[3], args[4])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's default logging, with the redaction on the access handler."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact_oauth_query": {"()": RedactOAuthQuery}}
    config["handlers"]["access"]["filters"] = ["redact_oauth_query"]
    return config


def uvicorn_server(
    app: ASGIApp, *, log_level: str, access_log: bool, http: HttpSettings | None = None
) -> uvicorn.Server:
    """h11 with read deadlines and a connection cap (read_limits). X-Forwarded-For and
    X-Forwarded-Proto count only from HTTP__TRUSTED_PROXIES: uvicorn would otherwise
    believe them from 127.0.0.1, which is every client when a local proxy is in front."""
    http = http or HttpSettings()
    limits = ReadLimits(
        header_timeout=http.header_timeout_seconds,
        body_timeout=http.body_timeout_seconds,
        max_connections=http.max_connections,
    )
    config = uvicorn.Config(
        app,
        log_level=log_level,
        lifespan="on",
        access_log=access_log,
        log_config=log_config(),
        http=limited_protocol(limits),
        proxy_headers=bool(http.trusted_proxies),
        forwarded_allow_ips=http.trusted_proxies or None,
        h11_max_incomplete_event_size=MAX_HEAD_BYTES,
    )
    return uvicorn.Server(config)
