"""SignOut on in-memory fakes: the web session and the member's Bluesky grant go, and
the grant is revoked at Bluesky after the commit."""

from talk_backend.application.ports import WebSessionRepository
from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn
from talk_backend.application.usecase.web_sessions.close import CloseWebSession
from talk_backend.application.usecase.web_sessions.open import OpenWebSession
from talk_backend.domain.web_sessions import web_session_token_hash
from tests.factories import ALICE, BOB, seed_member
from tests.fakes.bluesky import FakeBlueskyGrantRevocation, FakeBlueskySignIn
from tests.fakes.memory_store import MemoryStore
from tests.harness import create_env_fixture

env = create_env_fixture()


async def _signed_in(env, did: str) -> str:
    bluesky = await env.get(FakeBlueskySignIn)
    member = await seed_member(env, did)
    await (await env.get(CompleteSignIn)).execute(await bluesky.authorize(did))
    return await (await env.get(OpenWebSession)).execute(member.id)


async def test_sign_out_removes_the_grant_and_revokes_it(env):
    token = await _signed_in(env, BOB)
    grants = (await env.get(MemoryStore)).grants
    grant = grants[BOB]

    await (await env.get(CloseWebSession)).execute(token)

    assert (await env.get(FakeBlueskyGrantRevocation)).revoked == [grant]
    assert BOB not in grants
    assert await (await env.get(WebSessionRepository)).get(web_session_token_hash(token)) is None


async def test_sign_out_leaves_other_members_grants_alone(env):
    token = await _signed_in(env, BOB)
    await _signed_in(env, ALICE)
    await (await env.get(CloseWebSession)).execute(token)
    assert list((await env.get(MemoryStore)).grants) == [ALICE]


async def test_sign_out_with_an_unknown_cookie_revokes_nothing(env):
    await _signed_in(env, BOB)
    await (await env.get(CloseWebSession)).execute("not-a-session")
    assert (await env.get(FakeBlueskyGrantRevocation)).revoked == []
    assert BOB in (await env.get(MemoryStore)).grants
