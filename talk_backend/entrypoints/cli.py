"""`talk-backend`: run the API, or do operator work on the database."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Iterator

from talk_backend.settings import Environment, Settings, SettingsError, load_settings


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


@contextlib.contextmanager
def _database_url() -> Iterator[str]:
    """DATABASE__URL if set; otherwise an embedded PostgreSQL, migrated, for this run."""
    url = os.environ.get("DATABASE__URL")
    if url:
        yield url
        return
    from talk_backend.devtools.embedded_postgres import embedded_postgres, migrate

    with embedded_postgres() as embedded:
        migrate(embedded)
        print("PostgreSQL: embedded (pgserver), migrated, deleted on exit", file=sys.stderr)
        yield embedded


async def _serve(settings: Settings, host: str, port: int, dev_bluesky: bool) -> None:
    from talk_backend.container import create_container
    from talk_backend.devtools.local_server import bind_loopback, socket_url
    from talk_backend.entrypoints.http.app import create_app
    from talk_backend.entrypoints.http.server import uvicorn_server

    sock = bind_loopback(host, port)
    api_url = socket_url(sock)
    async with contextlib.AsyncExitStack() as stack:
        if dev_bluesky:
            from talk_backend.devtools import dev_bluesky as dev
            from talk_backend.devtools.fake_atproto import FakeAtproto
            from talk_backend.devtools.local_server import serving

            fake = FakeAtproto()
            fake.base_url = await stack.enter_async_context(serving(fake.app()))
            dev.dev_accounts(fake)
            settings = dev.dev_settings(settings, fake, api_url)
        container = create_container(settings)
        if dev_bluesky:
            await dev.seed(container)
            print(dev.instructions(api_url), flush=True)
        server = uvicorn_server(
            create_app(container), log_level="info", access_log=settings.access_log
        )
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


class _Terminated(Exception):
    """SIGTERM: unwind normally so the embedded database is stopped and deleted."""


def _on_sigterm(signum: int, frame: object) -> None:
    raise _Terminated


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it to the handler that
    # was installed before; the default one would kill the process before cleanup.
    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        if args.command == "serve":
            if args.dev_bluesky and args.host not in ("127.0.0.1", "localhost", "::1"):
                raise SystemExit("--dev-bluesky serves on loopback only")
            with _database_url() as url:
                settings = load_settings(database_url=url)
                if args.dev_bluesky and settings.environment is Environment.PRODUCTION:
                    raise SystemExit("--dev-bluesky is refused in production")
                asyncio.run(_serve(settings, args.host, args.port, args.dev_bluesky))
        elif args.command == "add-member":
            asyncio.run(_add_member(load_settings(), args.did, args.handle))
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except _Terminated:
        return 0
    except Exception as exc:  # operator errors (bad DID, already a member) are one line
        from talk_backend.domain.errors import DomainError

        if isinstance(exc, DomainError):
            print(f"error: {exc}", file=sys.stderr)
            return 1
        raise
    return 0


if __name__ == "__main__":
    sys.exit(main())
