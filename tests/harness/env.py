"""The integration-test environment: the full dependency container of the app, with
the provider groups in `unmock` unmocked (their own providers) and the rest faked.

    integration_env = create_env_fixture(unmock={"persistence"})

    async def test_x(integration_env):
        repo = await integration_env.get(UserRepository)
        bluesky = await integration_env.get(FakeBlueskySignIn)  # a fake, by its type

Each test gets its database first (none, its connection in the session database's
outer transaction, or a database of its own), handed to the container through the
context. Then the container: envs whose tests all share one configuration (no settings
hook, Bluesky faked) enter, at Scope.SESSION, a container built once per test session
and isolation, and get fresh fakes there; the others (a settings hook, Bluesky unmocked)
build a container per test.

The fixture is synchronous, and the env opens what it holds on first use: the
connection (tests/harness/joined.py) when the test first reaches the database. A test
that never uses its env costs no turn of the event loop; one that does pays for its
teardown only (one run of the session loop), not for a setup run as well."""

from __future__ import annotations

import asyncio
import functools
import gc
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

import pytest
from dishka import AsyncContainer, Scope

from talk_backend.container import GROUPS, check_groups, create_container
from talk_backend.settings import DatabaseSettings, Environment, Settings
from tests.fakes.providers import fake_groups
from tests.harness.joined import JoinedConnection
from tests.harness.plugin import expect_postgres

if TYPE_CHECKING:
    # SQLAlchemy, asyncpg and the persistence group's own adapters are imported where a
    # test has a database: a run with persistence faked (the unit tests) never loads
    # them, ~0.25 s of its start-up (tests/unit/harness/test_startup_imports.py).
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

    from tests.harness.persistence import PersistenceProvider
    from tests.harness.plugin import HarnessSession
    from tests.harness.provisioner import DatabaseProvisioner

T = TypeVar("T")
Isolation = Literal["transaction", "database"]
# Adjusts the env's Settings; gets the test's request to reach fixtures it depends on.
SettingsHook = Callable[[Settings, pytest.FixtureRequest], Settings]
# The test's joined connection (isolation="transaction"), its own database's engine, or
# None (persistence faked).
Database: TypeAlias = "JoinedConnection | AsyncEngine | None"


class Env:
    """What a test holds: resolve dependencies (fakes included), look at the database."""

    def __init__(
        self,
        container: Callable[[], AsyncContainer],
        db: _Database,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        # The test's container (env.scope() and create_app use it) and its request scope
        # are made on first use: an env that is never used costs no dishka work.
        self._make_container = container
        self._container: AsyncContainer | None = None
        self._request: AsyncContainer | None = None
        self._db = db
        self._loop = loop
        self.used = False
        self.database_url = db.url

    def _use(self) -> None:
        if not self.used:
            self.used = True
            if asyncio.get_running_loop() is not self._loop:
                raise RuntimeError(
                    "the env belongs to the test session's event loop; mark the test "
                    '@pytest.mark.asyncio(loop_scope="session") (the project default)'
                )

    @property
    def container(self) -> AsyncContainer:
        """The test's container (the one create_app gets)."""
        self.used = True
        if self._container is None:
            self._container = self._make_container()
        return self._container

    async def get(self, dependency: type[T]) -> T:
        """Resolves a dependency in this test's request scope."""
        self._use()
        if self._request is None:
            self._request = self.container()
        return await self._request.get(dependency)

    @asynccontextmanager
    async def scope(self) -> AsyncIterator[AsyncContainer]:
        """A separate request scope (own db session) - for concurrent work in one test."""
        self._use()
        async with self.container() as request:
            yield request

    async def _connection(self) -> AsyncConnection | AsyncEngine:
        handle = self._db.handle
        if handle is None:
            raise LookupError("persistence is faked in this env; there is no database")
        self._use()
        return await handle.get() if isinstance(handle, JoinedConnection) else handle

    async def fetch(self, sql: str, **params: Any) -> list[sa.Row[Any]]:
        """Runs SQL on the test's database, seeing what the test's code wrote."""
        import sqlalchemy as sa
        from sqlalchemy.ext.asyncio import AsyncEngine

        connection = await self._connection()
        if isinstance(connection, AsyncEngine):
            async with connection.connect() as conn:
                return list((await conn.execute(sa.text(sql), params)).all())
        return list((await connection.execute(sa.text(sql), params)).all())

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
        import sqlalchemy as sa
        from sqlalchemy.ext.asyncio import AsyncEngine

        connection = await self._connection()
        if isinstance(connection, AsyncEngine):
            async with connection.begin() as conn:
                await conn.execute(sa.text(sql), params)
        else:
            await connection.execute(sa.text(sql), params)

    async def close(self) -> None:
        """Closes the request scope, then the test's container (the shared container's
        scope of this test, or a container of its own), then the database."""
        try:
            try:
                if self._request is not None:
                    await self._request.close()
            finally:
                if self._container is not None:
                    await self._container.close()
        finally:
            if self._db.close is not None:
                await self._db.close()


@functools.cache
def _base_settings() -> Settings:
    """Read once per process: pydantic-settings reads the environment on every build."""
    placeholder = "postgresql+asyncpg://unused@127.0.0.1:1/unused"
    return Settings(
        database=DatabaseSettings(url=placeholder),
        environment=Environment.TEST,
    )


def _settings(url: str | None) -> Settings:
    if url is None:
        return _base_settings()
    database = DatabaseSettings(url=url)
    return _base_settings().model_copy(update={"database": database})


def create_env_fixture(
    unmock: Collection[str] = (),
    *,
    isolation: Isolation = "transaction",
    settings: SettingsHook | None = None,
) -> Any:
    """A pytest fixture yielding an Env with the groups in `unmock` unmocked (their own
    providers, talk_backend/wiring) and the others faked (tests/fakes).

    isolation="transaction" (default): each test runs in a transaction rolled back
    afterwards; code that commits still works (db sessions use savepoints).
    isolation="database": each test gets its own database cloned from the migrated
    template, for tests whose connections must see each other's commits."""
    check_groups(unmock)
    if isolation not in ("transaction", "database"):
        raise ValueError("isolation must be 'transaction' or 'database'")
    unmocked = frozenset(unmock)
    if "persistence" in unmocked:
        # Collection goes on while the server and template start.
        expect_postgres(fresh_databases=isolation == "database")
    shared = settings is None and "bluesky" not in unmocked

    def lifecycle(
        talk_session: HarnessSession, request: pytest.FixtureRequest | None
    ) -> Iterator[Env]:
        loop = talk_session.loop
        db = _database(unmocked, isolation, talk_session.databases, loop)
        try:
            if shared:
                container = _session_container(talk_session.containers, unmocked, isolation, db)
                env = Env(lambda: container(scope=Scope.SESSION, context=db.context), db, loop)
            else:
                base = _settings(db.url)
                own = settings(base, request) if settings and request else base
                groups = _groups(unmocked, isolation, Scope.APP)
                test = create_container(own, fakes=groups, context=db.context)
                env = Env(lambda: test, db, loop)
                env.container  # noqa: B018  (made now: closed after the test, used or not)
        except BaseException:
            if db.close is not None:
                loop.run_until_complete(db.close())
            raise
        yield env
        # An env no one used has nothing open: its connection was never checked out, its
        # scopes resolved nothing. Anything else is closed on the session's loop.
        if env.used or not shared or db.per_test:
            loop.run_until_complete(env.close())

    # A plain pytest fixture: pytest-asyncio wraps each setup of one of its own (a
    # runner lookup, a wrapper, a monkeypatch), and this one runs its async parts on the
    # session's loop itself. `request` only for a settings hook: pytest makes a fixture
    # definition for it every time a fixture asks for it, a cost every test would pay.
    if settings is None:

        @pytest.fixture
        def env_fixture(talk_session: HarnessSession) -> Iterator[Env]:
            yield from lifecycle(talk_session, None)

    else:

        @pytest.fixture
        def env_fixture(
            talk_session: HarnessSession, request: pytest.FixtureRequest
        ) -> Iterator[Env]:
            yield from lifecycle(talk_session, request)

    return env_fixture


@dataclass(frozen=True)
class _Database:
    """A test's database as the env holds it, and as the container gets it."""

    handle: Database = None  # what env.fetch runs on; None: persistence is faked
    url: str | None = None
    per_test: bool = False  # a database of the test's own (isolation="database")
    context: dict[Any, object] = field(default_factory=dict)
    close: Callable[[], Awaitable[None]] | None = None


def _database(
    unmocked: frozenset[str],
    isolation: Isolation,
    databases: DatabaseProvisioner,
    loop: asyncio.AbstractEventLoop,
) -> _Database:
    if "persistence" not in unmocked:
        return _Database()
    if isolation == "transaction":
        # Only the first test waits here, for the server and its template.
        engine = databases.ready_session_engine or loop.run_until_complete(
            databases.session_engine()
        )
        joined = JoinedConnection(engine)
        context: dict[Any, object] = {JoinedConnection: joined}
        return _Database(joined, _shown_url(engine), context=context, close=joined.close)
    # The app gets the env's engine: one pool, watched by the env's watchdog.
    from sqlalchemy.ext.asyncio import AsyncEngine

    engine, url, close = loop.run_until_complete(_own_database(databases))
    return _Database(engine, url, per_test=True, context={AsyncEngine: engine}, close=close)


@functools.lru_cache(maxsize=8)
def _shown_url(engine: AsyncEngine) -> str:
    """The engine's URL, password hidden: rendering it costs about 25 µs, once per
    engine rather than once per test."""
    return str(engine.url)


def _groups(unmocked: frozenset[str], isolation: Isolation, scope: Scope) -> dict[str, Any]:
    """create_container's `fakes`: a fake for each group not unmocked, and for an
    unmocked persistence group its own providers on the test's connection or database."""
    groups = fake_groups(GROUPS.keys() - unmocked, scope)
    if "persistence" in unmocked:
        from tests.harness.persistence import (
            HandedOutDatabasePersistenceProvider,
            JoinedTransactionPersistenceProvider,
        )

        provider: type[PersistenceProvider] = (
            JoinedTransactionPersistenceProvider
            if isolation == "transaction"
            else HandedOutDatabasePersistenceProvider
        )
        groups["persistence"] = provider(scope=scope)
    return groups


def _session_container(
    containers: dict[object, AsyncContainer],
    unmocked: frozenset[str],
    isolation: Isolation,
    db: _Database,
) -> AsyncContainer:
    """The container every shared env of this run with these unmocked groups and this
    isolation enters; built on first use. Its Settings name the session's database,
    or (databases of their own) keep the placeholder URL: a use would fail loudly."""
    key = (unmocked, isolation)
    container = containers.get(key)
    if container is None:
        settings = _settings(None if db.per_test else db.url)
        groups = _groups(unmocked, isolation, Scope.SESSION)
        container = containers[key] = create_container(settings, fakes=groups)
        gc.freeze()  # what the session keeps (server, container) is never garbage
    return container


async def _own_database(
    databases: DatabaseProvisioner,
) -> tuple[AsyncEngine, str, Callable[[], Awaitable[None]]]:
    """A fresh database from the pool, an engine on it, one watchdog for the connections
    the test opens; and what drops it (in the background) afterwards."""
    from sqlalchemy import event
    from sqlalchemy.ext.asyncio import create_async_engine

    from tests.harness.watchdog import Watchdog

    name, url = await databases.fresh_database()
    engine = create_async_engine(url, pool_size=5)
    opened: list[Any] = []
    event.listen(engine.sync_engine, "connect", lambda raw, _: opened.append(raw.driver_connection))
    watchdog = Watchdog(opened)

    async def close() -> None:
        try:
            watchdog.disarm()
        finally:
            try:
                await engine.dispose()
            finally:
                await databases.drop(name)

    return engine, url.render_as_string(hide_password=False), close
