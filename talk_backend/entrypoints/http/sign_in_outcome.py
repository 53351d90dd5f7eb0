"""How a refused sign-in reaches a person: a browser that lands on the callback is
sent back to the page with a refusal code (the page holds the words, so a link cannot
make it display text of someone else's choosing); API clients keep the JSON error."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import RedirectResponse

from talk_backend.application.errors import UpstreamFailure
from talk_backend.domain.errors import InviteRequired, SignInDeclined

PAGE = "/"


def is_browser_navigation(request: Request) -> bool:
    if request.headers.get("sec-fetch-mode") == "navigate":
        return True
    return "text/html" in request.headers.get("accept", "")


def refusal_code(exc: Exception) -> str:
    if isinstance(exc, InviteRequired):
        return "invite"
    if isinstance(exc, SignInDeclined):
        return "declined"
    if isinstance(exc, UpstreamFailure):
        return "unavailable"  # Bluesky's side failed: starting again now may not help
    return "failed"


def back_to_page(exc: Exception) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?sign_in_error={refusal_code(exc)}", status_code=303)
