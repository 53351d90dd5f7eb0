"""The app factory: a container in, a FastAPI application out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from dishka import AsyncContainer
from dishka.integrations.fastapi import setup_dishka
from fastapi import FastAPI

from talk_backend.entrypoints.http.body_limit import DEFAULT_MAX_BODY_BYTES, BodySizeLimit
from talk_backend.entrypoints.http.errors import UnexpectedErrors, install_error_handlers
from talk_backend.entrypoints.http.head_requests import HeadAsGet
from talk_backend.entrypoints.http.hosts import LOOPBACK, AllowedHosts
from talk_backend.entrypoints.http.request_framing import RequestFraming
from talk_backend.entrypoints.http.routers import auth, invites, members, operations, pages


def create_app(
    container: AsyncContainer,
    *,
    close_container: bool = True,
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    debug: bool = False,
    hosts: frozenset[str] = LOOPBACK,
) -> FastAPI:
    """The caller owns what the container holds; tests pass close_container=False to
    keep theirs open after the server stops. `debug` (DEBUG): error detail in 500s.
    `hosts`: the Host names served (hosts.served_hosts(settings)); others get 400."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if close_container:
            await container.close()

    app = FastAPI(title="talk-backend", version="0.1.0", lifespan=lifespan)
    for router in (auth.router, members.router, invites.router, operations.router, pages.router):
        app.include_router(router)
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.add_middleware(HeadAsGet)
    app.add_middleware(RequestFraming)
    app.add_middleware(AllowedHosts, hosts=hosts)
    setup_dishka(container, app)
    # Added last, so outermost: it also catches what the middlewares above raise.
    app.add_middleware(UnexpectedErrors, debug=debug)
    return app
