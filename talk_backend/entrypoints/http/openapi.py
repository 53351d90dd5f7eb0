"""The error answers each endpoint documents, so the OpenAPI description says what the
server really does (schemathesis checks it in tests/e2e)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorOut(BaseModel):
    """Every non-422 error: one sentence naming the problem."""

    detail: str


_MEANING = {
    400: "Bluesky did not vouch for the sign-in (unknown account, bad state or code...)",
    401: "Not signed in",
    403: "Refused: a cross-site request, no invite, or not allowed to do this",
    404: "No such thing",
    409: "Conflicts with what exists (already a member, already invited, quota, not pending)",
    413: "The request body is over the configured limit (default 64 KiB)",
    415: "The request body is not application/json",
    429: "Too many sign-in attempts from this address or in total; see Retry-After",
    502: "A Bluesky server (PDS, authorization server, resolver) could not be reached "
    "or answered with something unusable",
}


def errors(*codes: int, **meanings: str) -> dict[int | str, dict[str, Any]]:
    """`responses=` entries for these status codes; `e403="..."` overrides a meaning."""
    return {
        code: {"model": ErrorOut, "description": meanings.get(f"e{code}", _MEANING[code])}
        for code in codes
    }
