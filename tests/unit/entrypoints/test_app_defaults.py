"""create_app's defaults are the safe ones: a caller that says nothing gets no error
detail in its 500s, and its container closed when the app stops."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
from dishka import Provider, Scope, make_async_container, provide

from talk_backend.entrypoints.http.app import create_app


async def _boom() -> None:
    raise RuntimeError("boom")


async def test_by_default_a_500_carries_no_detail():
    app = create_app(make_async_container())
    app.add_api_route("/boom", _boom)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error"}


async def test_by_default_the_app_closes_its_container_when_it_stops():
    closed: list[str] = []

    class Held(Provider):
        @provide(scope=Scope.APP)
        def pool(self) -> Iterator[int]:
            yield 1
            closed.append("pool")  # dishka runs this when the container closes

    container = make_async_container(Held())
    assert await container.get(int) == 1
    app = create_app(container)
    async with app.router.lifespan_context(app):
        assert closed == []
    assert closed == ["pool"]


async def test_a_caller_that_owns_the_container_keeps_it_open():
    closed: list[str] = []

    class Held(Provider):
        @provide(scope=Scope.APP)
        def pool(self) -> Iterator[int]:
            yield 1
            closed.append("pool")

    container = make_async_container(Held())
    await container.get(int)
    app = create_app(container, close_container=False)
    async with app.router.lifespan_context(app):
        pass
    assert closed == []
    await container.close()
    assert closed == ["pool"]
