"""The peer: a plain FastAPI app with an asyncpg pool and `SELECT 1` per request,
served by uvicorn as `uvicorn peer:app` would (host and port given, so asyncio
creates the listening socket itself and sets TCP_NODELAY).

    python -m tools.bench_api.peer --port 8001 --host /socket/dir --user postgres
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import uvicorn
from fastapi import FastAPI, Request


def create_peer(connect: dict[str, str], pool_size: int) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with asyncpg.create_pool(min_size=1, max_size=pool_size, **connect) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/db")
    async def db(request: Request) -> dict[str, int]:
        return {"one": await request.app.state.pool.fetchval("SELECT 1")}

    return app


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", required=True, help="PostgreSQL host or socket directory")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--database", default="postgres")
    # The same size as talk-backend's SQLAlchemy pool.
    parser.add_argument("--pool-size", type=int, default=10)
    args = parser.parse_args()
    connect = {"host": args.host, "user": args.user, "database": args.database}
    app = create_peer(connect, args.pool_size)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
