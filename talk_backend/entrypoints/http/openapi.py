"""The error answers each endpoint documents, so the OpenAPI description says what the
server really does (schemathesis checks it in tests/e2e)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    """Every non-422 error: one sentence naming the problem."""

    detail: str


class AuthorizationRefusedOut(ErrorOut):
    """A 400 of POST /auth/sign-in when the account's authorization server refused the
    request: its OAuth `error` and `error_description` (bounded, printable) as well."""

    error: str | None = None
    error_description: str | None = None


_MEANING = {
    400: "The sign-in does not fit: an account that does not resolve, an unknown, used "
    "or other-browser state, a bad callback, or the person declined",
    401: "Not signed in",
    403: "Refused: a cross-site request, no invite, or not allowed to do this",
    404: "No such thing",
    409: "Conflicts with what exists (already a member, already invited, quota, not pending)",
    413: "The request body is over the configured limit (default 64 KiB)",
    415: "The request body is not application/json",
    429: "Too many sign-in attempts from this address or in total; see Retry-After",
    502: "A Bluesky server (PDS, authorization server, resolver) could not be reached "
    "or answered against the protocol (the message names the fault)",
}


def errors(*codes: int, **meanings: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these status codes; `e403="..."` overrides a meaning."""
    return {
        code: {"model": ErrorOut, "description": meanings.get(f"e{code}", _MEANING[code])}
        for code in codes
    }
