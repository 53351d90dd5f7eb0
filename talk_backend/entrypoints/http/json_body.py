"""Request bodies are JSON in UTF-8, as docs/api.md says, and nothing else.

FastAPI parses any `*/*+json` type as JSON, and Python's json.loads guesses the
encoding of bytes (UTF-16 and UTF-32 with or without a BOM, UTF-8 with a BOM). Both are
narrowed here: 415 for a body of another type, 400 for one that is not plain UTF-8. A
NUL byte cannot appear in UTF-8 JSON text (control characters must be escaped), while
UTF-16 and UTF-32 put one in every ASCII character. A route dependency, listed after
SameOrigin, so a cross-site form still gets that 403."""

# No `from __future__ import annotations`: FastAPI reads the annotations.

from email.message import Message

from fastapi import Depends, HTTPException, Request

_BOM = b"\xef\xbb\xbf"
NOT_UTF8_JSON = "the request body is not UTF-8 JSON"


def media_type(content_type: str) -> tuple[str, dict[str, str]]:
    message = Message()
    message["content-type"] = content_type
    params = {k.lower(): v.lower() for k, v in message.get_params(failobj=[])[1:]}
    return message.get_content_type(), params


def is_utf8_json_text(body: bytes) -> bool:
    if body.startswith(_BOM) or b"\x00" in body:
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


async def json_body_only(request: Request) -> None:
    body = await request.body()
    if not body:
        return  # the schema says what a missing body lacks (422)
    kind, params = media_type(request.headers.get("content-type", ""))
    if kind != "application/json" or params.get("charset", "utf-8") != "utf-8":
        raise HTTPException(415, "the request body must be application/json (UTF-8)")
    if not is_utf8_json_text(body):
        raise HTTPException(400, NOT_UTF8_JSON)


JsonBody = Depends(json_body_only)
