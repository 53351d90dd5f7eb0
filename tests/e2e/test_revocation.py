"""Grants end at Bluesky, not only here (RFC 7009 at the fake authorization server,
over real HTTP): on sign-out, on a refused sign-in, and when a member's new sign-in
replaces an earlier grant. A failed revocation never blocks a sign-out."""

from __future__ import annotations

import logging

import pytest
import pytest_asyncio

from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.bluesky.revocation import AtprotoGrantRevocation
from tests.factories import ALICE, BOB, CAROL, seed_member
from tests.fakes.grant_probe import GrantProbe


@pytest_asyncio.fixture(loop_scope="session")
async def probe(e2e_env) -> GrantProbe:
    return GrantProbe(
        await e2e_env.get(GuardedHttpClient),
        await e2e_env.get(DpopPoster),
        await e2e_env.get(ClientIdentity),
    )


async def stored_grant(env):
    rows = await env.fetch("SELECT * FROM bluesky_grants")
    assert len(rows) == 1
    return rows[0]


def revocation_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    """What the operator reads about revocations: one line per event."""
    return [r.getMessage() for r in caplog.records if r.name == "talk_backend.bluesky.revocation"]


async def test_sign_out_revokes_the_grant_at_bluesky(e2e_env, fake_atproto, browser, probe, caplog):
    await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")
    grant = await stored_grant(e2e_env)
    assert await probe.pds_status(grant.pds_url, grant.access_token, grant.dpop_private_jwk) == 200

    with caplog.at_level(logging.INFO, logger="talk_backend.bluesky.revocation"):
        out = await browser.api.post("/auth/sign-out")

    assert out.status_code == 204
    assert revocation_log(caplog) == []  # a revocation that worked is no warning
    assert await e2e_env.fetch("SELECT 1 FROM bluesky_grants") == []
    assert await probe.pds_status(grant.pds_url, grant.access_token, grant.dpop_private_jwk) == 401
    status, body = await probe.refresh(
        grant.issuer, grant.token_endpoint, grant.refresh_token, grant.dpop_private_jwk
    )
    assert (status, body["error"]) == (400, "invalid_grant")


async def test_sign_out_revokes_a_grant_that_has_no_refresh_token(
    e2e_env, fake_atproto, browser, probe
):
    """Not every grant comes with a refresh token: the access token is revoked then."""
    await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")
    await e2e_env.execute("UPDATE bluesky_grants SET refresh_token = NULL")
    grant = await stored_grant(e2e_env)

    assert (await browser.api.post("/auth/sign-out")).status_code == 204

    assert fake_atproto.grants.revoked_grants == 1
    assert await probe.pds_status(grant.pds_url, grant.access_token, grant.dpop_private_jwk) == 401


async def test_a_grant_from_elsewhere_is_refused_loudly():
    """A grant this adapter did not issue is a wiring mistake, not a Bluesky failure:
    it is raised, not logged and swallowed like one."""
    revocation = AtprotoGrantRevocation(client=None, http=None, poster=None, settings=None)
    with pytest.raises(TypeError, match=r"^the grant did not come from the atproto sign-in$"):
        await revocation.revoke("a grant of another kind")


async def test_a_refused_strangers_tokens_are_revoked(e2e_env, fake_atproto, browser):
    fake_atproto.add_account(BOB, "bob.test")
    await seed_member(e2e_env, ALICE)

    assert (await browser.sign_in("bob.test")).status_code == 403

    assert fake_atproto.grants.revoked_grants == 1
    assert fake_atproto.grants.access_tokens == {} and fake_atproto.grants.refresh_tokens == {}


async def test_a_new_sign_in_revokes_the_members_earlier_grant(e2e_env, fake_atproto, browser):
    await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")
    first = await stored_grant(e2e_env)

    assert (await browser.sign_in(ALICE)).status_code == 303

    second = await stored_grant(e2e_env)
    assert second.refresh_token != first.refresh_token
    assert fake_atproto.grants.revoked_grants == 1
    live = fake_atproto.grants.refresh_tokens
    assert first.refresh_token not in live and second.refresh_token in live


@pytest.mark.parametrize(
    ("status", "logged"),
    [
        (503, "revoking a Bluesky grant at {base} failed: UpstreamFailure"),  # an outage
        (400, "{base} refused to revoke a refresh_token: HTTP 400 (server_error)"),
    ],
)
async def test_sign_out_goes_through_when_revocation_fails(
    e2e_env, fake_atproto, browser, caplog, status, logged
):
    await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")
    grant = await stored_grant(e2e_env)
    fake_atproto.revocation_failure = status

    with caplog.at_level(logging.INFO, logger="talk_backend.bluesky.revocation"):
        out = await browser.api.post("/auth/sign-out")

    assert out.status_code == 204
    assert (await browser.api.get("/me")).status_code == 401
    assert await e2e_env.fetch("SELECT 1 FROM bluesky_grants") == []
    assert logged.format(base=fake_atproto.base_url) in revocation_log(caplog)
    assert grant.refresh_token not in caplog.text and grant.access_token not in caplog.text


async def test_sign_out_goes_through_when_the_server_is_gone(
    e2e_env, fake_atproto, browser, caplog
):
    await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")
    # The grant's issuer no longer answers: a closed port on 127.0.0.1.
    await e2e_env.execute("UPDATE bluesky_grants SET issuer = 'http://127.0.0.1:9'")

    with caplog.at_level(logging.INFO, logger="talk_backend.bluesky.revocation"):
        out = await browser.api.post("/auth/sign-out")

    assert out.status_code == 204
    assert await e2e_env.fetch("SELECT 1 FROM bluesky_grants") == []
    assert revocation_log(caplog) == [
        "revoking a Bluesky grant at http://127.0.0.1:9 failed: UpstreamFailure"
    ]


async def test_without_a_revocation_endpoint_sign_out_only_forgets(
    e2e_env, fake_atproto, browser, caplog
):
    await browser.as_member(e2e_env, fake_atproto, ALICE, "alice.test")
    fake_atproto.advertise_revocation = False

    with caplog.at_level(logging.INFO, logger="talk_backend.bluesky.revocation"):
        out = await browser.api.post("/auth/sign-out")

    assert out.status_code == 204
    assert await e2e_env.fetch("SELECT 1 FROM bluesky_grants") == []
    assert fake_atproto.grants.revoked_grants == 0
    assert revocation_log(caplog) == [f"{fake_atproto.base_url} advertises no revocation endpoint"]


@pytest.mark.parametrize(
    ("switch", "value"),
    [("token_sub", CAROL), ("token_scope", "transition:generic")],
)
async def test_tokens_refused_at_the_exchange_are_revoked(
    e2e_env, fake_atproto, browser, switch, value
):
    fake_atproto.add_account(BOB, "bob.test")
    await seed_member(e2e_env, BOB)
    setattr(fake_atproto, switch, value)

    # A token response for another account, or without atproto: the server misbehaved.
    assert (await browser.sign_in(BOB)).status_code == 502

    assert fake_atproto.grants.revoked_grants == 1
    assert fake_atproto.grants.refresh_tokens == {} and fake_atproto.grants.access_tokens == {}


async def test_an_entryway_account_refused_after_the_exchange_is_revoked(
    e2e_env, fake_atproto, browser
):
    fake_atproto.add_account(BOB, "bob.test")
    fake_atproto.chosen_account = BOB
    await seed_member(e2e_env, BOB)
    started = await browser.start(None)
    params = await browser.authorize(started.headers["location"])
    fake_atproto.protected_resource_server = "http://127.0.0.1:9"  # Bob's PDS trusts another

    assert (await browser.callback(params)).status_code == 502

    assert fake_atproto.grants.revoked_grants == 1
    assert fake_atproto.grants.refresh_tokens == {}


@pytest.mark.parametrize("named_at_start", [False, True], ids=["at the entryway", "by DID"])
async def test_tokens_of_an_account_that_no_longer_resolves_are_revoked(
    e2e_env, fake_atproto, browser, named_at_start
):
    """Once the tokens are in, the account's DID is resolved (again): at the entryway
    the account is known only from the token answer; named at the start (by DID, as a
    typed handle resolves to), it is checked anew. When the DID no longer resolves (gone
    from the directory meanwhile), the sign-in is refused naming the DID, and the tokens
    just issued are revoked, not left live."""
    fake_atproto.add_account(BOB, "bob.test")
    await seed_member(e2e_env, BOB)
    if not named_at_start:
        fake_atproto.chosen_account = BOB
    started = await browser.start(BOB if named_at_start else None)
    params = await browser.authorize(started.headers["location"])
    del fake_atproto.accounts[BOB]

    done = await browser.callback(params)

    assert done.status_code == 400, done.text
    assert BOB in done.json()["detail"]
    assert fake_atproto.grants.revoked_grants == 1
    assert fake_atproto.grants.refresh_tokens == {} and fake_atproto.grants.access_tokens == {}
