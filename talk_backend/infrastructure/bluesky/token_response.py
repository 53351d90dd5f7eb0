"""A token endpoint's answer, checked the same way at sign-in and at refresh."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from talk_backend.application.errors import UpstreamFailure
from talk_backend.application.oauth_state import GrantOrigin, OAuthTokens

_ERROR_CODE = re.compile(r"[a-z][a-z0-9_]{0,63}")
# How much of a server's error_description reaches a person.
DESCRIPTION_CHARS = 200


def checked_tokens(body: dict[str, Any], origin: GrantOrigin, now: datetime) -> OAuthTokens:
    """`sub` must be the account the tokens were asked for, the scope must hold
    atproto and the access token must be DPoP-bound."""
    if body.get("sub") != origin.did:
        raise UpstreamFailure("the authorization server vouched for a different account")
    scope = body.get("scope")
    if not isinstance(scope, str) or "atproto" not in scope.split():
        raise UpstreamFailure("the granted scope does not include atproto")
    if str(body.get("token_type", "")).lower() != "dpop":
        raise UpstreamFailure("the access token is not DPoP-bound")
    access, refresh = body.get("access_token"), body.get("refresh_token")
    expires_in = body.get("expires_in")
    if not isinstance(access, str) or not isinstance(expires_in, int):
        raise UpstreamFailure("the token response is incomplete")
    return OAuthTokens(
        did=origin.did,
        issuer=origin.issuer,
        pds_url=origin.pds_url,
        token_endpoint=origin.token_endpoint,
        scope=scope,
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) else None,
        dpop_private_jwk=origin.dpop_private_jwk,
        expires_at=now + timedelta(seconds=max(0, min(expires_in, 86400))),
        updated_at=now,
    )


def error_code(body: Any) -> str:
    """The server's error code only, and only if it looks like one: descriptions (or
    a hostile server's "codes") could echo the tokens we sent."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str) and _ERROR_CODE.fullmatch(error):
        return error
    return "no error code"


def error_description(body: Any, sent: Iterable[str]) -> str | None:
    """The server's error_description, fit to show a person: whatever we `sent` (state,
    client assertion...) cut out first, every non-printable character (controls, line
    breaks, bidi overrides) made a space, at most DESCRIPTION_CHARS. Only for answers
    to requests that carry no token: a description could quote one."""
    text = body.get("error_description") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return None
    for value in sent:
        if value:
            text = text.replace(value, "[redacted]")
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if len(text) > DESCRIPTION_CHARS:
        text = text[:DESCRIPTION_CHARS] + "…"
    return text or None
