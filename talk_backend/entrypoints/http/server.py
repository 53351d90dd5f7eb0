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

SECRET_QUERY_PARAMETERS = frozenset({"code", "state"})
_REDACTED = "redacted"


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


def uvicorn_server(app: ASGIApp, *, log_level: str, access_log: bool) -> uvicorn.Server:
    config = uvicorn.Config(
        app, log_level=log_level, lifespan="on", access_log=access_log, log_config=log_config()
    )
    return uvicorn.Server(config)
