"""The logging configuration the server is started with redacts the OAuth callback's
`code` and `state` in the access log line that reaches the console."""

from __future__ import annotations

import logging
import logging.config

from talk_backend.entrypoints.http.server import log_config

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def test_the_access_line_on_the_console_has_code_and_state_redacted(capsys):
    saved = {
        name: (lg.handlers[:], lg.filters[:], lg.level, lg.propagate)
        for name in UVICORN_LOGGERS
        for lg in [logging.getLogger(name)]
    }
    try:
        logging.config.dictConfig(log_config())
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/auth/callback?code=c0de&state=s3cr3t&iss=x",
            "1.1",
            303,
        )
    finally:
        for name, (handlers, filters, level, propagate) in saved.items():
            lg = logging.getLogger(name)
            lg.handlers[:], lg.filters[:], lg.level, lg.propagate = (
                handlers,
                filters,
                level,
                propagate,
            )
    out = capsys.readouterr().out
    assert "/auth/callback?code=redacted&state=redacted&iss=x" in out
    assert "c0de" not in out and "s3cr3t" not in out


def test_building_the_configuration_leaves_uvicorns_default_alone():
    from uvicorn.config import LOGGING_CONFIG

    log_config()
    assert "filters" not in LOGGING_CONFIG["handlers"]["access"]


def test_the_whole_line_is_kept_but_for_the_secrets():
    from talk_backend.entrypoints.http.server import RedactOAuthQuery

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/auth/callback?code=c0de&state=s", "1.1", 303),
        None,
    )
    assert RedactOAuthQuery().filter(record)
    assert record.getMessage() == (
        '127.0.0.1:5000 - "GET /auth/callback?code=redacted&state=redacted HTTP/1.1" 303'
    )


def test_records_of_another_shape_pass_unchanged():
    from talk_backend.entrypoints.http.server import RedactOAuthQuery

    for args in ((), ("only", "three", "args"), ("a", "b", 3, "d", "e")):
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", args, None)
        assert RedactOAuthQuery().filter(record)
        assert record.args == args


def test_a_second_question_mark_does_not_hide_the_code():
    from talk_backend.entrypoints.http.server import redact_query

    redacted = redact_query("/auth/callback?code=c0de?x&state=s3cr3t")
    assert "c0de" not in redacted and "s3cr3t" not in redacted
