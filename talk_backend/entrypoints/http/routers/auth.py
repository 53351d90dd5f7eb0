"""Sign-in with Bluesky, sign-out."""

# No `from __future__ import annotations`: dishka's wrapper needs real annotations.

import secrets
from typing import Annotated

from dishka.integrations.fastapi import DishkaRoute, FromDishka
from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from talk_backend.application.errors import AdapterError
from talk_backend.application.ports import AuthorizationCallback
from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn
from talk_backend.application.usecase.auth.start_sign_in import StartSignIn
from talk_backend.application.usecase.web_sessions.close import CloseWebSession
from talk_backend.application.usecase.web_sessions.open import OpenWebSession
from talk_backend.domain.errors import DomainError
from talk_backend.entrypoints.http.json_body import JsonBody
from talk_backend.entrypoints.http.openapi import AuthorizationRefusedOut, errors
from talk_backend.entrypoints.http.schemas import SignInRequest, SignInStarted
from talk_backend.entrypoints.http.security import (
    BindingCookie,
    SameOrigin,
    clear_binding_cookie,
    clear_session_cookie,
    session_token,
    set_binding_cookie,
    set_session_cookie,
)
from talk_backend.entrypoints.http.sign_in_outcome import back_to_page, is_browser_navigation
from talk_backend.entrypoints.http.sign_in_rate import SignInRate
from talk_backend.settings import Settings

router = APIRouter(prefix="/auth", tags=["auth"], route_class=DishkaRoute)
AFTER_SIGN_IN = "/"
_Param = Annotated[str | None, Query(max_length=4096)]
_State = Annotated[str, Query(min_length=1, max_length=4096)]


@router.post(
    "/sign-in",
    status_code=303,
    response_model=SignInStarted,
    dependencies=[SameOrigin, JsonBody, SignInRate],
    responses={
        303: {"description": "Redirect to the account's authorization server"},
        200: {"description": "The same, without the redirect, for Accept: application/json"},
        **errors(403, 413, 415, 429, 502),
        400: {
            "model": AuthorizationRefusedOut,
            "description": "Not UTF-8, or the account did not resolve, or its authorization "
            "server refused the request (then with its `error` and `error_description`)",
        },
    },
)
async def sign_in(
    request: Request,
    body: SignInRequest,
    start: FromDishka[StartSignIn],
    settings: FromDishka[Settings],
) -> JSONResponse:
    """Starts sign-in: binds the flow to this browser with an HttpOnly cookie. A page
    script asks for JSON: fetch cannot follow a redirect to another origin's page."""
    binding = secrets.token_urlsafe(32)
    redirect = await start.execute(body.account, binding)
    body_out = SignInStarted(authorization_url=redirect.url).model_dump()
    if "application/json" in request.headers.get("accept", ""):
        response = JSONResponse(body_out)
    else:
        response = JSONResponse(body_out, status_code=303, headers={"Location": redirect.url})
    set_binding_cookie(response, binding, settings)
    return response


@router.get(
    "/callback",
    status_code=303,
    response_model=None,
    responses={
        303: {
            "description": "Signed in: to / with the session cookie. A browser navigation "
            "that is refused goes to /?sign_in_error=invite|declined|failed|unavailable "
            "instead of a 4xx or 502"
        },
        **errors(400, 403, 502, e403="The account has no membership and no valid invite"),
    },
)
async def callback(
    request: Request,
    sign_in: FromDishka[CompleteSignIn],
    open_session: FromDishka[OpenWebSession],
    settings: FromDishka[Settings],
    state: _State,
    binding: BindingCookie = None,
    code: _Param = None,
    iss: _Param = None,
    error: _Param = None,
) -> RedirectResponse:
    """Completes sign-in; an unknown DID needs a valid invite (403 otherwise). A
    refused sign-in stores nothing: no user, no session, no Bluesky tokens. A browser is
    sent back to the page, with the refusal as a code when refused."""
    try:
        result = await sign_in.execute(AuthorizationCallback(state, code, iss, binding, error))
    except (DomainError, AdapterError) as exc:
        if not is_browser_navigation(request):
            raise
        refused = back_to_page(exc)
        clear_binding_cookie(refused, settings)
        return refused
    token = await open_session.execute(result.user.id)
    response = RedirectResponse(AFTER_SIGN_IN, status_code=303)
    set_session_cookie(response, token, settings)
    clear_binding_cookie(response, settings)
    return response


@router.post(
    "/sign-out",
    status_code=204,
    dependencies=[SameOrigin],
    response_model=None,
    responses=errors(403),
)
async def sign_out(
    request: Request, close: FromDishka[CloseWebSession], settings: FromDishka[Settings]
) -> Response:
    token = session_token(request, settings)
    if token:
        await close.execute(token)
    response = Response(status_code=204)
    clear_session_cookie(response, settings)
    return response
