"""schemathesis against the running API: every operation in the OpenAPI description,
with data the schema allows and data it forbids, over real HTTP. Whatever it sends, the
answer is not a 5xx and matches what the description promises (status codes, bodies,
headers), and the schema's valid data is not refused as invalid.

Bounded: a fixed number of examples per operation and mode, derandomized (fixed seed)."""

from __future__ import annotations

import asyncio

import pytest_asyncio
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from talk_backend.entrypoints.http.app import create_app
from talk_backend.settings import Settings, SignInLimits
from tests.factories import ALICE
from tests.fakes.atproto_fixtures import point_at_fakes
from tests.harness import create_env_fixture

EXAMPLES = 25
CONFIG = {
    "checks": {
        # 400 answers valid-looking input that Bluesky refuses (an account that does not
        # resolve, a state this server never issued): the request was well formed.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409"]
        },
    },
}


def _generous_sign_in_limits(base: Settings, request) -> Settings:
    """Every example would otherwise pass the per-address sign-in limit and be refused
    with 429 (tests/e2e/test_http_edge.py checks the limits themselves)."""
    limits = SignInLimits(per_address_per_minute=10_000, total_per_minute=10_000)
    return point_at_fakes(base, request).model_copy(update={"sign_in": limits})


# The conftest's e2e_env, with the generous limits.
e2e_env = create_env_fixture(
    unmock={"persistence", "bluesky"}, isolation="database", settings=_generous_sign_in_limits
)


@pytest_asyncio.fixture(loop_scope="session")
async def signed_in(e2e_env, fake_atproto, browser):
    return await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")


def _run(operation, mode: GenerationMode, base_url: str, cookies: dict[str, str]) -> None:
    @seed(20261128)
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case) -> None:
        response = case.call(base_url=base_url, cookies=cookies, timeout=10)
        case.validate_response(response)

    check()


async def test_the_api_does_what_its_openapi_description_says(e2e_env, signed_in):
    app = create_app(e2e_env.container, close_container=False)
    schema = schemathesis.openapi.from_dict(
        app.openapi(), config=SchemathesisConfig.from_dict(CONFIG)
    )
    cookies = {name: value for name, value in signed_in.cookies.items() if value}
    base_url = str(signed_in.base_url)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    negative_runs = 0
    for operation in operations:
        # The checks make blocking HTTP calls; the API serves from this event loop.
        await asyncio.to_thread(_run, operation, GenerationMode.POSITIVE, base_url, cookies)
        try:
            await asyncio.to_thread(_run, operation, GenerationMode.NEGATIVE, base_url, cookies)
            negative_runs += 1
        except Unsatisfiable:
            # Nothing about a request without parameters or body can be invalid.
            assert not operation.body and not list(operation.iter_parameters()), operation.label
    assert negative_runs >= 4
