"""The access log's redaction of the OAuth callback's secrets."""

from __future__ import annotations

import logging

from talk_backend.entrypoints.http.server import RedactOAuthQuery, redact_query


def test_code_and_state_are_replaced_and_the_rest_kept():
    redacted = redact_query("/auth/callback?state=s3cr3t&iss=https%3A%2F%2Fpds&code=c0de")
    assert redacted == "/auth/callback?state=redacted&iss=https%3A%2F%2Fpds&code=redacted"


def test_every_occurrence_is_replaced_whatever_the_path():
    assert (
        redact_query("/x?code=a&code=b&state=") == "/x?code=redacted&code=redacted&state=redacted"
    )


def test_targets_without_secrets_are_untouched():
    for target in ("/me", "/invites?status=pending", "/auth/callback", "/a?codex=1"):
        assert redact_query(target) == target


def test_the_filter_rewrites_uvicorns_access_record():
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/auth/callback?code=c0de&state=s3cr3t", "1.1", 303),
        None,
    )
    assert RedactOAuthQuery().filter(record)
    assert "c0de" not in record.getMessage() and "s3cr3t" not in record.getMessage()
    assert "/auth/callback?code=redacted&state=redacted" in record.getMessage()
