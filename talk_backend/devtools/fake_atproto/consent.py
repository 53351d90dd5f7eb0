"""The fake authorization server's consent page: the person approves or denies in
their browser. As strict as a real server about the decision: the POST must carry
the page's CSRF token, come from the browser the page was shown to (a cookie set with
the page), name a live request_uri, and not come from another origin."""

from __future__ import annotations

import html
import re
import secrets
from urllib.parse import urlsplit

from talk_backend.devtools.fake_atproto.grants import Par

DEVICE_COOKIE = "fake_atproto_device"
COOKIE_PATH = "/oauth"
# A real authorization server must not be framed (clickjacking) or cached.
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}


# The page's hidden fields, as page() writes them.
_HIDDEN_FIELD = re.compile(r'<input type="hidden" name="(request_uri|csrf_token)" value="([^"]*)">')


def decision_form(page_html: str, decision: str = "approve") -> dict[str, str]:
    """What a person's click on the consent page POSTs to /oauth/authorize (the page's
    hidden fields and the decision): for clients that drive the fake without a
    browser. ValueError when the text is not a consent page."""
    fields = {name: html.unescape(value) for name, value in _HIDDEN_FIELD.findall(page_html)}
    if set(fields) != {"request_uri", "csrf_token"}:
        raise ValueError(f"not the fake's consent page: {page_html[:200]!r}")
    return {**fields, "decision": decision}


class ConsentRefused(Exception):
    """The decision POST does not belong to the page that was shown."""


def bind(par: Par, device: str | None) -> str:
    """Binds the request to the browser that first opened it; returns its device id."""
    if par.device is None:
        par.device = device or secrets.token_urlsafe(24)
        par.csrf = secrets.token_urlsafe(24)
    elif device != par.device:
        raise ConsentRefused("this authorization request was opened in another browser")
    return par.device


def check_decision(
    par: Par, form: dict[str, str], device: str | None, origin: str | None, own_origin: str
) -> bool:
    """True to approve, False to deny; ConsentRefused when the POST is not the page's."""
    if origin is not None and origin.lower() != own_origin.lower():
        raise ConsentRefused("cross-origin decision refused")
    if par.device is None or par.csrf is None:
        raise ConsentRefused("the consent page was never shown for this request")
    if device != par.device:
        raise ConsentRefused("decision from another browser refused")
    if not secrets.compare_digest(form.get("csrf_token", ""), par.csrf):
        raise ConsentRefused("CSRF token missing or wrong")
    decision = form.get("decision")
    if decision not in ("approve", "deny"):
        raise ConsentRefused("decision must be approve or deny")
    return decision == "approve"


def page(par: Par, request_uri: str, handle: str, did: str) -> str:
    client = urlsplit(par.params.get("redirect_uri", ""))
    e = html.escape
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Authorize (dev Bluesky)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 28rem; margin: 4rem auto;
       padding: 0 1rem; color: #1a1a1a; }}
.card {{ border: 1px solid #ddd; border-radius: 8px; padding: 1.5rem; }}
.note {{ color: #666; font-size: .85rem; }}
button {{ font: inherit; padding: .5rem 1.2rem; border-radius: 6px; border: 1px solid #888;
         cursor: pointer; margin-right: .5rem; }}
button[value=approve] {{ background: #0a66e4; color: #fff; border-color: #0a66e4; }}
</style></head>
<body><div class="card">
<p class="note">Development authorization server (fake Bluesky)</p>
<h1>Sign in as <span id="account-handle">@{e(handle)}</span>?</h1>
<p><span id="client">{e(client.scheme)}://{e(client.netloc)}</span> asks to sign you in
with your Bluesky account <strong>@{e(handle)}</strong>
(<code id="account-did">{e(did)}</code>).</p>
<form method="post" action="/oauth/authorize">
<input type="hidden" name="request_uri" value="{e(request_uri)}">
<input type="hidden" name="csrf_token" value="{e(par.csrf or "")}">
<button type="submit" name="decision" value="approve">Approve</button>
<button type="submit" name="decision" value="deny">Deny</button>
</form></div></body></html>
"""
