"""The uvicorn server `serve` runs, as built: the level and access log it is given, the
redacting log configuration, and forwarded headers believed only from the configured
proxies. Their effect over real HTTP is tested in child processes
(tests/e2e/test_access_log.py, test_serve_lifecycle.py) and in tests/e2e/test_http_edge.py."""

from __future__ import annotations

from fastapi import FastAPI

from talk_backend.entrypoints.http.server import MAX_HEAD_BYTES, log_config, uvicorn_server
from talk_backend.settings import HttpSettings


def test_the_server_is_built_with_what_it_is_given():
    config = uvicorn_server(FastAPI(), log_level="warning", access_log=True).config
    assert (config.log_level, config.access_log, config.lifespan) == ("warning", True, "on")
    assert config.log_config == log_config()  # the one that redacts code and state
    assert config.h11_max_incomplete_event_size == MAX_HEAD_BYTES
    quiet = uvicorn_server(FastAPI(), log_level="info", access_log=False).config
    assert (quiet.log_level, quiet.access_log) == ("info", False)


def test_forwarded_headers_count_only_from_the_configured_proxies():
    untrusting = uvicorn_server(FastAPI(), log_level="info", access_log=False).config
    assert untrusting.proxy_headers is False
    behind = HttpSettings.model_validate({"trusted_proxies": ["10.0.0.5"]})
    trusting = uvicorn_server(FastAPI(), log_level="info", access_log=False, http=behind).config
    assert trusting.proxy_headers is True
    assert trusting.forwarded_allow_ips == ["10.0.0.5"]
