"""Browser fixtures: Debian's Chromium, driven by Playwright, against the real app
(uvicorn on 127.0.0.1) and the fake atproto services with their consent page, on a
PostgreSQL from the harness. Without Chromium the tests skip, except in CI."""

from __future__ import annotations

import os
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Page, async_playwright

from talk_backend.devtools.fake_atproto import FakeAtproto
from talk_backend.devtools.local_server import serving, serving_in_thread
from talk_backend.entrypoints.http.app import create_app
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.harness import Env, create_env_fixture

CHROMIUM = os.environ.get("TALK_CHROMIUM", "/usr/bin/chromium")
# What Chromium needs on these machines: root (no sandbox), no GPU, and no traffic
# of its own (the network is closed; it talks only to 127.0.0.1). Playwright adds
# --headless and a fresh user-data dir that it deletes on close.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Headless Chromium on two shared cores is slow; generous, but bounded.
TIMEOUT_MS = 30_000


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.talk_call_report = report  # type: ignore[attr-defined]
    return report


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if os.access(CHROMIUM, os.X_OK):
        return CHROMIUM
    reason = (
        f"no Chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium) "
        "or point TALK_CHROMIUM at one"
    )
    if _in_ci():
        pytest.fail(f"CI=true, so a missing browser is a failure: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def chromium(chromium_path: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS, timeout=60_000
        )
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
def fake_atproto() -> Iterator[FakeAtproto]:
    """Shows its consent page, as a person's browser sees it (no auto-approve)."""
    fake = FakeAtproto()
    with serving_in_thread(fake.app()) as url:
        fake.base_url = url
        yield fake


browser_env = create_env_fixture(
    unmock={"persistence", "bluesky"}, isolation="database", settings=point_at_fakes
)


@pytest_asyncio.fixture(loop_scope="session")
async def app_url(browser_env: Env, api_socket: socket.socket) -> AsyncIterator[str]:
    app = create_app(browser_env.container, close_container=False)
    async with serving(app, sock=api_socket) as url:
        yield url


NewContext = Callable[[], Awaitable[BrowserContext]]


@pytest_asyncio.fixture(loop_scope="session")
async def new_context(chromium: Browser) -> AsyncIterator[NewContext]:
    """Each context is another browser: its own cookies and storage."""
    made: list[BrowserContext] = []

    async def make() -> BrowserContext:
        context = await chromium.new_context()
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in made:
        await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def page(new_context: NewContext) -> Page:
    return await (await new_context()).new_page()


class Screenshots:
    def __init__(self, directory: Path, test: str) -> None:
        self.directory = directory
        self.test = test
        self.taken: list[Path] = []

    async def take(self, page: Page, label: str) -> Path:
        path = self.directory / f"{self.test}-{len(self.taken) + 1:02d}-{label}.png"
        await page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)
        return path


@pytest.fixture
def screenshots(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Screenshots]:
    """Screenshots are test outputs: under Bazel in TEST_UNDECLARED_OUTPUTS_DIR (set it
    for a plain pytest run to keep them), else in pytest's tmp dir."""
    outputs = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR")
    directory = Path(outputs) / "screenshots" if outputs else tmp_path
    directory.mkdir(parents=True, exist_ok=True)
    shots = Screenshots(directory, re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.name))
    yield shots
    call = getattr(request.node, "talk_call_report", None)
    if call is None or not call.passed:
        return  # the failure is the news; a missing screenshot would only add noise
    assert shots.taken, "every browser test saves a screenshot"
    for path in shots.taken:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
