"""Cookies and request guards shared by the routers.

CSRF: session cookies are SameSite=Lax (no cookie on cross-site POST/DELETE), and
state-changing endpoints also refuse requests whose Origin or Sec-Fetch-Site says
they came from another site."""

# No `from __future__ import annotations`: dishka's wrapper needs real annotations.

from typing import Annotated
from urllib.parse import urlsplit

from dishka.integrations.fastapi import FromDishka, inject
from fastapi import Cookie, Depends, HTTPException, Request, Response

from talk_backend.application.usecase.web_sessions.current_user import CurrentUser
from talk_backend.domain.users import User
from talk_backend.settings import Settings

BINDING_COOKIE = "talk_oauth_binding"
BINDING_PATH = "/auth"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


@inject
async def same_origin(request: Request, settings: FromDishka[Settings]) -> None:
    origin = request.headers.get("origin")
    if origin is not None and origin.lower() != _origin(settings.oauth.public_url):
        raise HTTPException(403, "cross-origin request refused")
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        raise HTTPException(403, "cross-site request refused")


SameOrigin = Depends(same_origin)


def session_token(request: Request, settings: Settings) -> str | None:
    return request.cookies.get(settings.sessions.cookie_name)


@inject
async def signed_in_member(
    request: Request, current: FromDishka[CurrentUser], settings: FromDishka[Settings]
) -> User:
    user = await current.execute(session_token(request, settings))
    if user is None:
        raise HTTPException(401, "sign in first", headers={"WWW-Authenticate": "Cookie"})
    return user


Member = Annotated[User, Depends(signed_in_member)]
BindingCookie = Annotated[str | None, Cookie(alias=BINDING_COOKIE, max_length=200)]


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        settings.sessions.cookie_name,
        token,
        max_age=settings.sessions.ttl_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        settings.sessions.cookie_name,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path="/",
    )


def set_binding_cookie(response: Response, binding: str, settings: Settings) -> None:
    response.set_cookie(
        BINDING_COOKIE,
        binding,
        max_age=settings.oauth.auth_request_ttl_seconds,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path=BINDING_PATH,
    )


def clear_binding_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        BINDING_COOKIE,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        path=BINDING_PATH,
    )
