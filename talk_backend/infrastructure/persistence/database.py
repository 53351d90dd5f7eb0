"""Engine and db session factory (SQLAlchemy AsyncSession): made by the
composition root, never at import."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    """No pre-ping: it costs a round trip on every checkout. A restarted or stopped
    server closes its connections, and asyncpg notices the closed socket as soon as
    the event loop reads it; `_refuse_closed` hands such a connection back at checkout,
    and the pool opens a new one, with no query sent.

    No overflow: connections beyond pool_size were closed on return, so under more
    concurrent requests than that every checkout paid for a new backend (connect,
    authenticate, fork); requests now wait for a pooled connection instead. No request
    holds two at once: the signed-in member's lookup returns its connection before a
    use case's db session takes one.

    A connection that dies during a query (the server goes away mid-request) fails that
    request; SQLAlchemy invalidates the pool, and the check above catches the rest."""
    # hide_parameters: error messages and tracebacks show the SQL, never the bound values
    # (tokens, DPoP keys).
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=0,
        pool_pre_ping=False,
        echo=echo,
        hide_parameters=True,
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed)
    return engine


def _refuse_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    # DisconnectionError at checkout: the pool discards this connection and retries.
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        raise DisconnectionError("the database closed this pooled connection")


def create_db_session_factory(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    # expire_on_commit=False: use cases return domain objects built before commit.
    return async_sessionmaker(engine, expire_on_commit=False)
