"""Engine and session factory: created by the composition root, never at import."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine


def create_engine(url: str, *, pool_size: int = 10, echo: bool = False) -> AsyncEngine:
    # pre_ping turns "the server went away" into a reconnect instead of a 500.
    # hide_parameters: error messages and tracebacks show the SQL, never the bound values
    # (tokens, DPoP keys).
    return create_async_engine(
        url, pool_size=pool_size, pool_pre_ping=True, echo=echo, hide_parameters=True
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    # expire_on_commit=False: use cases return domain objects built before commit.
    return async_sessionmaker(engine, expire_on_commit=False)
