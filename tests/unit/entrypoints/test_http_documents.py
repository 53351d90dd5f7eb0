"""What clients read besides the status: the OpenAPI description of error answers, the
shape of a domain 422, and at most 10 issues in a 422."""

from __future__ import annotations

import httpx
from dishka import make_async_container
from fastapi import FastAPI
from pydantic import BaseModel

from talk_backend.domain.errors import InvalidHandle
from talk_backend.entrypoints.http.app import create_app
from talk_backend.entrypoints.http.errors import install_error_handlers


def test_documented_error_answers_name_their_meaning_and_body():
    spec = create_app(make_async_container()).openapi()
    answers = spec["paths"]["/invites"]["post"]["responses"]
    assert answers["400"]["description"] == "The body is not UTF-8 JSON"  # the override
    assert answers["409"]["description"].startswith("Conflicts with what exists")
    for code in ("400", "403", "404", "409", "413"):
        schema = answers[code]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorOut"}


class Many(BaseModel):
    a: int
    b: int
    c: int
    d: int
    e: int
    f: int
    g: int
    h: int
    i: int
    j: int
    k: int
    m: int


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/many")
    async def many(body: Many) -> None:
        return None

    @app.post("/handle")
    async def handle() -> None:
        raise InvalidHandle("not a valid handle: 'x'")

    return app


async def _post(path: str, body: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.post(path, json=body)


async def test_a_422_lists_at_most_10_issues():
    answer = await _post("/many", {name: "x" for name in "abcdefghijkm"})
    assert answer.status_code == 422
    assert [issue["loc"][-1] for issue in answer.json()["detail"]] == list("abcdefghij")


async def test_a_domain_422_has_fastapis_issue_shape():
    answer = await _post("/handle", {})
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": [{"type": "value_error", "loc": ["body"], "msg": "not a valid handle: 'x'"}]
    }
