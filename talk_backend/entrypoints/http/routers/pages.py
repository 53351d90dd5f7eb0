"""The small sign-in page at `/`: plain HTML and a script that use the JSON API."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from fastapi import APIRouter, HTTPException
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


@router.get("/page/{name}")
async def asset(name: str) -> Response:
    if name == "index.html" or name not in _TYPES:
        raise HTTPException(404, "no such file")
    return _asset(name)
