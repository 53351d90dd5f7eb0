"""The small sign-in page at `/`: plain HTML and a script that use the JSON API."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import Response

router = APIRouter(include_in_schema=False)

_TYPES = {
    "index.html": "text/html; charset=utf-8",
    "page.js": "text/javascript; charset=utf-8",
    "page.css": "text/css; charset=utf-8",
}
# Scripts and styles only from this origin, never inline; the page is not framed.
_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@cache
def _read(name: str) -> bytes:
    return (files("talk_backend.entrypoints.http") / "static" / name).read_bytes()


def _asset(name: str) -> Response:
    return Response(_read(name), media_type=_TYPES[name], headers=_HEADERS)


@router.get("/")
async def index() -> Response:
    return _asset("index.html")


# One route per file: any other name under /page/ is the router's own 404.
@router.get("/page/page.js")
async def script() -> Response:
    return _asset("page.js")


@router.get("/page/page.css")
async def style() -> Response:
    return _asset("page.css")
