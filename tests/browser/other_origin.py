"""Another origin on loopback: a page whose form posts to the app (a CSRF attempt)."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from talk_backend.devtools.local_server import serving


def _page(target: str) -> str:
    # text/plain forms can smuggle a JSON body: name + "=" + value.
    name = html.escape('{"invitee": "mallory.test", "x": "')
    return f"""<!doctype html><html><body>
<form method="post" action="{html.escape(target)}" enctype="text/plain">
<input type="hidden" name="{name}" value='"}}'>
<button type="submit">Win a prize</button>
</form></body></html>"""


@asynccontextmanager
async def attacker_site(target: str) -> AsyncIterator[str]:
    async def index(_: Request) -> HTMLResponse:
        return HTMLResponse(_page(target))

    async with serving(Starlette(routes=[Route("/", index)])) as url:
        yield f"{url}/"
