"""Domain errors become clear 4xx answers; nothing a client sends should give a 500."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from talk_backend.domain import errors

_log = logging.getLogger("talk_backend.http")

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


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


def _unexpected(debug: bool) -> Callable[[Request, Exception], Awaitable[JSONResponse]]:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        # Frames only, in the log as in the answer: the message may carry secrets.
        frames = "".join(traceback.format_tb(exc.__traceback__)) if debug else ""
        _log.error("unhandled %s at %s\n%s", type(exc).__name__, _where(exc), frames)
        body = {"detail": "internal error"}
        if debug:  # DEBUG=true, never in production (settings refuse it)
            body["error"] = f"{type(exc).__name__} at {_where(exc)}"
        return JSONResponse(body, status_code=500)

    return handler


def install_error_handlers(app: FastAPI, *, debug: bool = False) -> None:
    app.add_exception_handler(errors.DomainError, _domain_error)
    app.add_exception_handler(Exception, _unexpected(debug))
