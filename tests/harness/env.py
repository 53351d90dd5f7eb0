"""The integration-test environment: the full dependency container of the app, with
chosen provider groups real and the rest faked.

    integration_env = create_env_fixture(unmock={"persistence"})

    async def test_x(integration_env):
        repo = await integration_env.get(UserRepository)
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import pytest
import pytest_asyncio
import sqlalchemy as sa
from dishka import AsyncContainer, Provider
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from talk_backend.container import PROVIDER_GROUPS, create_container
from talk_backend.settings import DatabaseSettings, Environment, Settings
from tests.fakes.bluesky import FakeBlueskySignIn
from tests.fakes.clock import FakeClock
from tests.fakes.providers import FAKE_GROUPS, FakeBlueskyProvider, FakeClockProvider
from tests.harness.persistence import JoinedTransactionPersistenceProvider
from tests.harness.plugin import expect_postgres
from tests.harness.watchdog import Watchdog

if TYPE_CHECKING:
    from tests.harness.provisioner import DatabaseProvisioner

T = TypeVar("T")
Isolation = Literal["transaction", "database"]
# Adjusts the env's Settings; gets the test's request to reach fixtures it depends on.
SettingsHook = Callable[[Settings, pytest.FixtureRequest], Settings]


class Env:
    """What a test holds: resolve dependencies, drive the fakes, look at the database."""

    def __init__(
        self,
        container: AsyncContainer,
        request: AsyncContainer,
        connection: AsyncConnection | AsyncEngine | None,
        database_url: str | None,
        groups: dict[str, Provider],
    ) -> None:
        self.container = container
        self._groups = groups
        self._request = request
        self._connection = connection
        self.database_url = database_url

    async def get(self, dependency: type[T]) -> T:
        """Resolves a dependency in this test's request scope."""
        return await self._request.get(dependency)

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[AsyncContainer]:
        """A separate request scope (own session) - for concurrent work in one test."""
        async with self.container() as request:
            yield request

    @property
    def bluesky(self) -> FakeBlueskySignIn:
        """The fake Bluesky: say who it vouches for next (`await env.bluesky.authorize(did)`)."""
        group = self._groups.get("bluesky")
        if not isinstance(group, FakeBlueskyProvider):
            raise LookupError("group 'bluesky' is real in this env; it has no fake to drive")
        return group.fake

    @property
    def clock(self) -> FakeClock:
        group = self._groups.get("clock")
        if not isinstance(group, FakeClockProvider):
            raise LookupError("group 'clock' is real in this env; it has no fake to drive")
        return group.fake

    async def fetch(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        """Runs SQL on the test's database, seeing what the test's code wrote."""
        if self._connection is None:
            raise LookupError("persistence is faked in this env; there is no database")
        if isinstance(self._connection, AsyncEngine):
            async with self._connection.connect() as conn:
                return list((await conn.execute(sa.text(sql), params)).all())
        return list((await self._connection.execute(sa.text(sql), params)).all())

    async def row_counts(self) -> dict[str, int]:
        """Rows in every table of the schema: "nothing written" compares two of these."""
        tables = await self.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1"
        )
        counts = {}
        for (table,) in tables:
            counts[table] = (await self.fetch(f'SELECT count(*) FROM "{table}"'))[0][0]
        assert len(counts) >= 5, counts  # users, invites, web_sessions, oauth_*, alembic
        return counts

    async def execute(self, sql: str, **params: Any) -> None:
        """Runs a statement on the test's database (committed in 'database' isolation)."""
        if isinstance(self._connection, AsyncEngine):
            async with self._connection.begin() as conn:
                await conn.execute(sa.text(sql), params)
        elif self._connection is not None:
            await self._connection.execute(sa.text(sql), params)
        else:
            raise LookupError("persistence is faked in this env; there is no database")


def _settings(url: str | None) -> Settings:
    placeholder = "postgresql+asyncpg://unused@127.0.0.1:1/unused"
    return Settings(
        database=DatabaseSettings(url=url or placeholder),  # type: ignore[arg-type]
        environment=Environment.TEST,
    )


def create_env_fixture(
    unmock: Collection[str] = (),
    *,
    isolation: Isolation = "transaction",
    settings: SettingsHook | None = None,
) -> Any:
    """A pytest fixture yielding an Env with the groups in `unmock` real.

    isolation="transaction" (default): each test runs in a transaction rolled back
    afterwards; code that commits still works (sessions use savepoints).
    isolation="database": each test gets its own database cloned from the migrated
    template, for tests whose connections must see each other's commits."""
    unknown = sorted(set(unmock) - set(PROVIDER_GROUPS))
    if unknown:
        raise ValueError(
            f"unknown provider group(s) {', '.join(unknown)}; "
            f"valid groups: {', '.join(sorted(PROVIDER_GROUPS))}"
        )
    if isolation not in ("transaction", "database"):
        raise ValueError("isolation must be 'transaction' or 'database'")
    real = frozenset(unmock)
    if "persistence" in real:
        expect_postgres(fresh_databases=isolation == "database")

    @pytest_asyncio.fixture(loop_scope="session")
    async def env_fixture(
        talk_databases: DatabaseProvisioner, request: pytest.FixtureRequest
    ) -> AsyncIterator[Env]:
        def configure(base: Settings) -> Settings:
            return settings(base, request) if settings is not None else base

        fakes = {name: FAKE_GROUPS[name]() for name in PROVIDER_GROUPS if name not in real}
        if "persistence" not in real:
            async for env in _build(fakes, None, None, configure):
                yield env
        elif isolation == "transaction":
            engine = await talk_databases.session_engine()
            async with engine.connect() as conn:
                outer = await conn.begin()
                raw = await conn.get_raw_connection()
                watchdog = Watchdog([raw.driver_connection])
                fakes["persistence"] = JoinedTransactionPersistenceProvider(conn)
                try:
                    async for env in _build(fakes, conn, str(engine.url), configure):
                        yield env
                finally:
                    watchdog.disarm()
                    await outer.rollback()
        else:
            name, url = await talk_databases.fresh_database()
            rendered = url.render_as_string(hide_password=False)
            engine = create_async_engine(url, pool_size=5)
            opened: list[Any] = []
            event.listen(
                engine.sync_engine,
                "connect",
                lambda dbapi, _: opened.append(dbapi.driver_connection),
            )
            watchdog = Watchdog(opened)
            try:
                async for env in _build(fakes, engine, rendered, configure):
                    yield env
            finally:
                watchdog.disarm()
                await engine.dispose()
                await talk_databases.drop(name)

    return env_fixture


async def _build(
    groups: dict[str, Provider],
    connection: AsyncConnection | AsyncEngine | None,
    url: str | None,
    configure: Callable[[Settings], Settings],
) -> AsyncIterator[Env]:
    container = create_container(configure(_settings(url)), replace=groups)
    try:
        async with container() as request:
            yield Env(container, request, connection, url, groups)
    finally:
        await container.close()
