"""`python -m tools.bench_api.layers`: CPU per request of the app's layers, in process.

The ASGI app is called directly (no sockets, no HTTP parsing), one request at a time,
against an embedded PostgreSQL. CPU time of this process is what a busy machine
disturbs least; each line is the best of 7 rounds. What it shows: which layer is
worth removing (dishka's middleware and request scope, FastAPI's stack) next to what
a database round trip through each path costs."""

from __future__ import annotations

import asyncio
import time
import warnings
from collections.abc import Awaitable, Callable
from typing import Any

from dishka.integrations.fastapi import DishkaRoute, FromDishka, setup_dishka
from fastapi import APIRouter, FastAPI
from sqlalchemy.engine import make_url

from talk_backend.application.usecase.users.register_founder import RegisterFounder
from talk_backend.application.usecase.web_sessions.current_user import CurrentUser
from talk_backend.application.usecase.web_sessions.open import OpenWebSession
from talk_backend.container import create_container
from talk_backend.devtools.embedded_postgres import embedded_postgres, migrate
from talk_backend.domain.identity import Did
from talk_backend.entrypoints.http.app import create_app
from talk_backend.settings import Settings, load_settings
from tools.bench_api.cleanup import runtime_dir_removed
from tools.bench_api.peer import create_peer

ROUNDS, PER_ROUND = 7, 300
Headers = list[tuple[bytes, bytes]]


async def call(app: Any, path: str, headers: Headers | None = None) -> int:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), *(headers or [])],  # the app serves loopback
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    await app(scope, receive, send)
    return status[0]


async def measure(label: str, request: Callable[[], Awaitable[object]]) -> None:
    for _ in range(50):
        await request()
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(PER_ROUND):
            await request()
        best = min(best, (time.process_time() - started) / PER_ROUND)
    print(f"| {label} | {best * 1e6:.0f} us |", flush=True)


def bare_apps(settings: Settings) -> tuple[FastAPI, FastAPI, FastAPI, Any]:
    """A one-route FastAPI app: alone, with dishka's middleware, and with one
    dependency injected by dishka."""

    async def one() -> dict[str, int]:
        return {"one": 1}

    async def one_injected(settings: FromDishka[Settings]) -> dict[str, int]:
        return {"one": 1}

    container = create_container(settings)
    bare, with_middleware, injected = FastAPI(), FastAPI(), FastAPI()
    bare.get("/x")(one)
    with_middleware.get("/x")(one)
    setup_dishka(container, with_middleware)
    router = APIRouter(route_class=DishkaRoute)
    router.get("/x")(one_injected)
    injected.include_router(router)
    setup_dishka(container, injected)
    return bare, with_middleware, injected, container


async def run(url: str) -> None:
    settings = load_settings(database_url=url)
    container = create_container(settings)
    async with container() as request:
        did = Did.parse("did:plc:benchbenchbenchbenchbenc")
        member = await (await request.get(RegisterFounder)).execute(did, None)
    async with container() as request:
        token = await (await request.get(OpenWebSession)).execute(member.id)
    cookie = [(b"cookie", f"{settings.sessions.cookie_name}={token}".encode())]
    print("| layer or request | CPU per request |\n|---|---|")
    bare, with_middleware, injected, other = bare_apps(settings)
    await measure("bare FastAPI, GET /x", lambda: call(bare, "/x"))
    await measure(
        "+ dishka middleware (a request scope per request)", lambda: call(with_middleware, "/x")
    )
    await measure("+ one FromDishka parameter", lambda: call(injected, "/x"))
    await other.close()

    async def scope_and_resolve() -> None:
        async with container() as request:
            await request.get(CurrentUser)

    async def current_user() -> None:
        async with container() as request:
            await (await request.get(CurrentUser)).execute(token)

    await measure("dishka request scope + resolving CurrentUser", scope_and_resolve)
    await measure("CurrentUser.execute (one SELECT) in a request scope", current_user)
    app = create_app(container, close_container=False)
    async with app.router.lifespan_context(app):
        await measure(
            "app: GET /oauth-client-metadata.json (no database)",
            lambda: call(app, "/oauth-client-metadata.json"),
        )
        await measure("app: GET /me without a cookie (401)", lambda: call(app, "/me"))
        await measure("app: GET /healthz", lambda: call(app, "/healthz"))
        await measure("app: GET /me signed in", lambda: call(app, "/me", cookie))
    pg = make_url(url)
    peer = create_peer(
        {"host": str(pg.query["host"]), "user": str(pg.username), "database": "postgres"}, 10
    )
    async with peer.router.lifespan_context(peer):
        await measure("peer: GET /db (asyncpg pool, SELECT 1)", lambda: call(peer, "/db"))
    await container.close()


def main() -> None:
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
    with runtime_dir_removed(), embedded_postgres() as url:
        migrate(url)
        asyncio.run(run(url))


if __name__ == "__main__":
    main()
