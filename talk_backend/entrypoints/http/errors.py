"""Domain errors become clear 4xx answers; nothing a client sends should give a 500."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from talk_backend.domain import errors

_STATUS: dict[type[errors.DomainError], int] = {
    errors.InvalidDid: 422,
    errors.InvalidHandle: 422,
    errors.InvalidInvitee: 422,
    errors.InvalidExpiry: 422,
    errors.InviteRequired: 403,
    errors.InviteNotFound: 404,
    errors.NotInviteOwner: 403,
    errors.InviteNotPending: 409,
    errors.InviteQuotaExceeded: 409,
    errors.InviteAlreadyPending: 409,
    errors.AlreadyMember: 409,
    errors.InviterNotActive: 403,
    errors.UserNotFound: 404,
    errors.DuplicateUser: 409,
    errors.SignInFailed: 400,
}


def status_for(exc: errors.DomainError) -> int:
    for kind in type(exc).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    return 400


async def _domain_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.DomainError)
    return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.DomainError, _domain_error)
