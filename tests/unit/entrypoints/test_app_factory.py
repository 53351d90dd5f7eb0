"""create_app: its defaults are the safe ones (a caller that says nothing gets no error
detail in its 500s, and its container closed when the app stops), what it is given is
what it applies, and the API document names the service and its version."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import httpx
from dishka import AsyncContainer, Provider, Scope, make_async_container, provide

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


async def _holding(closed: list[str]) -> AsyncContainer:
    """A container holding one resource; `closed` records its release."""

    class Held(Provider):
        @provide(scope=Scope.APP)
        def pool(self) -> Iterator[int]:
            yield 1
            closed.append("pool")  # dishka runs this when the container closes

    container = make_async_container(Held())
    assert await container.get(int) == 1
    return container


async def test_by_default_the_app_closes_its_container_when_it_stops():
    closed: list[str] = []
    container = await _holding(closed)
    app = create_app(container)
    async with app.router.lifespan_context(app):
        assert closed == []
    assert closed == ["pool"]


async def test_a_caller_that_owns_the_container_keeps_it_open():
    closed: list[str] = []
    container = await _holding(closed)
    app = create_app(container, close_container=False)
    async with app.router.lifespan_context(app):
        pass
    assert closed == []
    await container.close()
    assert closed == ["pool"]


async def test_the_body_limit_given_is_the_one_applied():
    app = create_app(make_async_container(), max_body_bytes=16)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        at_limit = await client.post("/auth/sign-in", content=b"x" * 16)
        over = await client.post("/auth/sign-in", content=b"x" * 17)
    assert at_limit.status_code != 413
    assert over.status_code == 413
    assert over.json() == {"detail": "request body is larger than 16 bytes"}


def test_the_api_document_names_the_service_and_the_packages_version():
    # No resolve(): under Bazel this file is a runfiles symlink; pyproject is in runfiles.
    pyproject = Path(__file__).absolute().parents[3] / "pyproject.toml"
    version = tomllib.loads(pyproject.read_text())["project"]["version"]
    info = create_app(make_async_container()).openapi()["info"]
    assert (info["title"], info["version"]) == ("talk-backend", version)
