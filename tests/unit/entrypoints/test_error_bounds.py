"""What an error answer may echo of a client's input, at its bounds: strings cut at
100 characters with "…", at most 10 items of a list or object, nested at most 3
deep; and an error after the answer has started is not followed by a second answer."""

from __future__ import annotations

import logging

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from talk_backend.entrypoints.http.errors import UnexpectedErrors, _bounded, install_error_handlers


class Body(BaseModel):
    name: int


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.post("/echo")
    async def echo(body: Body) -> dict[str, int]:
        return {"name": body.name}

    return app


async def _input_echoed(value) -> object:
    transport = httpx.ASGITransport(app=_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        answer = await client.post("/echo", json={"name": value})
    assert answer.status_code == 422
    (issue,) = answer.json()["detail"]
    assert issue["loc"] == ["body", "name"]
    return issue.get("input")


async def test_a_long_string_is_cut_at_100_characters_with_a_marker():
    assert await _input_echoed("x" * 100) == "x" * 100
    assert await _input_echoed("x" * 101) == "x" * 100 + "…"


async def test_a_list_shows_its_first_10_items_then_a_marker():
    assert await _input_echoed(list(range(10))) == list(range(10))
    assert await _input_echoed(list(range(11))) == [*range(10), "…"]


async def test_an_object_shows_its_first_10_members():
    big = {f"k{i}": i for i in range(12)}
    assert await _input_echoed(big) == {f"k{i}": i for i in range(10)}


async def test_nesting_is_cut_at_depth_3():
    # The issue itself is depth 0 and its input depth 1: two more levels are shown.
    assert await _input_echoed([[1]]) == [[1]]
    assert await _input_echoed([[[1]]]) == [["…"]]
    assert await _input_echoed({"a": {"b": {"c": 1}}}) == {"a": {"b": "…"}}


async def test_an_error_after_the_answer_started_sends_no_second_answer(caplog):
    async def half_then_fail(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("token=SECRET")

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.disconnect"}

    caplog.set_level(logging.ERROR)
    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    await UnexpectedErrors(half_then_fail)(scope, receive, send)
    assert [m["type"] for m in sent] == ["http.response.start"]
    assert [m.get("status") for m in sent] == [200]
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "unhandled RuntimeError at test_error_bounds.py:" in logged
    assert "SECRET" not in logged


# The echo's own rules, on values a JSON body can carry into an error's "input".


def test_bytes_are_echoed_as_text_with_what_is_not_utf8_replaced():
    assert _bounded(b"ab\xff", 100) == "ab\ufffd"
    assert _bounded(b"x" * 150, 100) == "x" * 100 + "…"


def test_numbers_json_has_no_words_for_are_echoed_as_text():
    assert _bounded(float("nan"), 100) == "nan"
    assert _bounded(float("inf"), 100) == "inf"


def test_an_integer_of_limit_digits_or_more_is_echoed_as_cut_text():
    assert _bounded(999, 3) == 999
    assert _bounded(-999, 3) == -999
    assert _bounded(1000, 3) == "100…"
    assert _bounded(10**120, 100) == "1" + "0" * 99 + "…"
    assert _bounded(True, 0) is True  # a bool is no number here
