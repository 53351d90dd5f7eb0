"""The generated test suites `make bench` times: the same test bodies under the
harness, the plain SQLAlchemy recipe and pytest-postgresql, and empty tests.

Generated into a temporary directory at bench time: hundreds of committed copies of
one test would only be noise in the repository. Every typical test is the project's
typical integration test: a member invites someone, who signs in through the fake
Bluesky, then the invite's row is checked in SQL. Each suite provides a fixture
`env` offering get() (use cases and the fake Bluesky, by type) and fetch(), so the
bodies are identical."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tests.child_suite import HARNESS_PLUGIN, write_pytest_ini

_TYPICAL_IMPORTS = """\
import pytest
from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn
from talk_backend.application.usecase.invites.create import CreateInvite
from tests.factories import ALICE, BOB, seed_member
from tests.fakes.bluesky import FakeBlueskySignIn
"""
# A test reaches the fake Bluesky by its type, from env.get, in every suite.
_FAKE_BY_TYPE = """
async def fake_bluesky(env):
    return await env.get(FakeBlueskySignIn)
"""
_HARNESS_ENV = """\
from tests.harness import create_env_fixture

env = create_env_fixture(unmock={{"persistence"}}{options})
"""
TYPICAL_TEST = """

@pytest.mark.asyncio(loop_scope="session")
async def test_{i}(env):
    member = await seed_member(env, ALICE, "alice.test")
    invite = await (await env.get(CreateInvite)).execute(member.id, BOB)
    callback = await (await fake_bluesky(env)).authorize(BOB, "bob.test")
    result = await (await env.get(CompleteSignIn)).execute(callback)
    rows = await env.fetch("SELECT accepted_by FROM invites WHERE id = :id", id=invite.id)
    assert result.created and rows[0].accepted_by == result.user.id
"""
_EMPTY_ASYNC_TEST = """

@pytest.mark.asyncio(loop_scope="session")
async def test_{i}(env):
    pass
"""
_EMPTY_TEST = """

def test_{i}():
    pass
"""
_EMPTY_PLAIN_ASYNC_TEST = """

@pytest.mark.asyncio(loop_scope="session")
async def test_{i}():
    pass
"""
PER_FILE = 20


@dataclass(frozen=True)
class Suite:
    row: str
    header: str
    test: str
    plugins: tuple[str, ...] = (HARNESS_PLUGIN,)
    pytest_args: tuple[str, ...] = ()
    # pytest-postgresql runs pg_ctl itself, which refuses to run as root.
    needs_unprivileged_user: bool = False
    env: dict[str, str] = field(default_factory=dict)

    def write(self, directory: Path, tests: int) -> None:
        directory.mkdir(parents=True)
        write_pytest_ini(directory, self.plugins)
        for start in range(0, tests, PER_FILE):
            numbers = range(start, min(tests, start + PER_FILE))
            body = "".join(self.test.format(i=i) for i in numbers)
            (directory / f"test_generated_{start // PER_FILE:03d}.py").write_text(
                self.header + body
            )


def harness_header(options: str = "") -> str:
    return _TYPICAL_IMPORTS + _FAKE_BY_TYPE + _HARNESS_ENV.format(options=options)


RECIPE_HEADER = _TYPICAL_IMPORTS + _FAKE_BY_TYPE


def typical_suites(tests: int) -> list[Suite]:
    n = f"{tests} typical tests"
    return [
        Suite(f"suite: {n}, harness", harness_header(), TYPICAL_TEST),
        Suite(
            f"suite: {n}, plain SQLAlchemy recipe",
            RECIPE_HEADER,
            TYPICAL_TEST,
            plugins=("tools.bench.recipe_sqlalchemy",),
        ),
        Suite(
            f"suite: {n}, pytest-postgresql",
            RECIPE_HEADER,
            TYPICAL_TEST,
            plugins=("pytest_postgresql", "tools.bench.recipe_pytest_postgresql"),
            needs_unprivileged_user=True,
        ),
    ]


def overhead_suites(tests: int) -> list[Suite]:
    n = f"{tests} empty tests"
    return [
        Suite(f"overhead: {n}, harness", harness_header(), _EMPTY_ASYNC_TEST),
        Suite(f"overhead: {n}, plain pytest", "", _EMPTY_TEST, plugins=()),
        # What every async test pays pytest-asyncio, harness or not: the part of the
        # overhead above plain pytest that is not the harness's.
        Suite(
            f"overhead: {n}, plain pytest-asyncio",
            "import pytest\n",
            _EMPTY_PLAIN_ASYNC_TEST,
            plugins=(),
        ),
    ]


def xdist_suite(tests: int) -> Suite:
    return Suite(
        f"xdist: {tests} typical tests, harness, -n 2",
        harness_header(),
        TYPICAL_TEST,
        pytest_args=("-n", "2"),
    )


def handout_suite() -> Suite:
    return Suite(
        'isolation="database": the env handing out a fresh database',
        harness_header(', isolation="database"'),
        TYPICAL_TEST,
    )
