"""Client errors become clear 4xx answers; nothing a client sends should give a 500.

Every error body is `{"detail": ...}`: a sentence for 400/401/403/404/409/413, and a
list of issues for 422 (FastAPI's shape, used for domain validation errors too). What a
client sent is echoed only as a short excerpt, and what cannot be encoded (a lone
UTF-16 surrogate read from JSON, NaN or an infinite number) is escaped or spelled as
text rather than crashing the encoder."""

from __future__ import annotations

import logging
import math
import traceback
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import ASGIApp, Receive, Scope, Send

from talk_backend.application import errors as adapter_errors
from talk_backend.domain import errors
from talk_backend.entrypoints.http.asgi_middleware import HttpMiddleware, SendWatch
from talk_backend.entrypoints.http.json_body import NOT_UTF8_JSON

# How much of a client's input an error may echo back.
EXCERPT_CHARS = 100
# Domain messages quote input (a handle, a DID); they are bounded as a whole.
MESSAGE_CHARS = 300

_log = logging.getLogger("talk_backend.http")

_STATUS: dict[type[Exception], int] = {
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
    # One DID, one account: outside CompleteSignIn's race handling, a conflict with what exists.
    errors.DuplicateUser: 409,
    errors.TooManyPendingSignIns: 429,
    errors.SignInDeclined: 400,
    # Adapters' faults, not broken rules. What the person or the browser did (a stale
    # or foreign sign-in state, an account that does not resolve, documents that lead
    # somewhere forbidden) is a 400; a grant only a new sign-in can fix is a 409;
    # Bluesky's servers unreachable or misbehaving is this gateway's failure, a 502.
    adapter_errors.SignInRejected: 400,
    adapter_errors.AccountUnresolvable: 400,
    adapter_errors.AuthorizationRefused: 400,
    adapter_errors.UnsafeUrl: 400,
    adapter_errors.GrantNotFound: 404,
    adapter_errors.GrantRefreshRefused: 409,
    adapter_errors.UpstreamFailure: 502,
}

# What the handlers below answer for: the domain's refusals and the adapters' faults.
KnownError = errors.DomainError | adapter_errors.AdapterError


def status_for(exc: KnownError) -> int:
    """Every known error's class (or a base) is in the table: one missing is a bug
    that tests/unit/entrypoints/test_error_mapping.py catches, not a silent 400."""
    for kind in type(exc).__mro__:
        if kind in _STATUS:
            return _STATUS[kind]
    raise LookupError(f"{type(exc).__name__} has no HTTP status")


def safe_text(text: str, limit: int) -> str:
    """At most `limit` characters, always encodable as UTF-8."""
    cut = text if len(text) <= limit else text[:limit] + "…"
    return cut.encode("utf-8", "backslashreplace").decode("utf-8")


def _bounded(value: Any, limit: int, depth: int = 0) -> Any:
    """A small, encodable copy of what a client sent: strings cut, containers trimmed."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return safe_text(value, limit)
    if isinstance(value, dict | list | tuple) and depth >= 3:
        return "…"
    if isinstance(value, dict):
        items = list(value.items())[:10]
        return {safe_text(str(k), limit): _bounded(v, limit, depth + 1) for k, v in items}
    if isinstance(value, list | tuple):
        bounded = [_bounded(v, limit, depth + 1) for v in value[:10]]
        return [*bounded, "…"] if len(value) > 10 else bounded
    if isinstance(value, float) and not math.isfinite(value):
        # NaN, Infinity and 1e999 parse from JSON; strict JSON cannot say them back.
        return str(value)
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        return safe_text(str(value), limit)
    return value


def validation_issue(msg: str, loc: tuple[str | int, ...] = ("body",)) -> dict[str, Any]:
    return {"type": "value_error", "loc": list(loc), "msg": safe_text(msg, MESSAGE_CHARS)}


async def _known_error(_: Request, exc: Exception) -> JSONResponse:
    """Messages name the problem and never a secret: adapters put origins in them,
    not URLs with paths or credentials, and never a token."""
    assert isinstance(exc, KnownError)
    status = status_for(exc)
    if status == 422:
        return JSONResponse({"detail": [validation_issue(str(exc))]}, status_code=422)
    headers = {"Retry-After": "60"} if status == 429 else None
    body: dict[str, str | None] = {"detail": safe_text(str(exc), MESSAGE_CHARS)}
    if isinstance(exc, adapter_errors.AuthorizationRefused):
        body.update(error=exc.error, error_description=exc.description)
    return JSONResponse(body, status_code=status, headers=headers)


async def _invalid_request(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    issues = []
    for error in exc.errors()[:10]:
        issue = {key: error[key] for key in ("type", "loc", "msg") if key in error}
        if "input" in error:
            issue["input"] = error["input"]
        issues.append(jsonable_encoder(_bounded(issue, EXCERPT_CHARS)))
    return JSONResponse({"detail": issues}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = _bounded(exc.detail, MESSAGE_CHARS)
    if exc.status_code == 400 and isinstance(exc.__cause__, UnicodeDecodeError):
        # FastAPI parses a JSON body before any route dependency runs (json_body's
        # check among them): bytes that are not UTF-8 at all fail there, in its
        # generic words ("There was an error parsing the body"). Same fault, same words.
        detail = NOT_UTF8_JSON
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request)
    return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route serves at this path. Starlette names only the methods of
    the first route that matched the path (POST /invites hides GET /invites)."""
    allowed = []
    for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT"):
        scope = {**request.scope, "method": method}
        if any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return ", ".join(allowed)


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


class UnexpectedErrors(HttpMiddleware):
    """The outermost middleware inside Starlette's own: an exception nothing handled
    becomes a JSON 500 here and is NOT re-raised. Starlette's ServerErrorMiddleware
    re-raises after any `Exception` handler, and uvicorn then logs the traceback with
    the exception's message, which may carry secrets (a database URL, a token)."""

    def __init__(self, app: ASGIApp, debug: bool = False) -> None:
        super().__init__(app)
        self._debug = debug

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        watched_send = SendWatch(send)
        try:
            await self.app(scope, receive, watched_send)
        except Exception as exc:
            # Frames only, in the log as in the answer: the message may carry secrets.
            frames = "".join(traceback.format_tb(exc.__traceback__)) if self._debug else ""
            _log.error("unhandled %s at %s\n%s", type(exc).__name__, _where(exc), frames)
            if watched_send.started:
                return  # the answer is under way; the server closes the connection
            body: dict[str, str] = {"detail": "internal error"}
            if self._debug:  # DEBUG=true, never in production (settings refuse it)
                body["error"] = f"{type(exc).__name__} at {_where(exc)}"
            await JSONResponse(body, status_code=500)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Handlers for what a client can cause. Unexpected errors are UnexpectedErrors'
    (a middleware the app factory adds last, so it wraps everything)."""
    app.add_exception_handler(errors.DomainError, _known_error)
    app.add_exception_handler(adapter_errors.AdapterError, _known_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
