"""The database itself refuses inconsistent data, whatever code writes it."""

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from tests.factories import ALICE, BOB, seed_member
from tests.harness import create_env_fixture

integration_env = create_env_fixture(unmock={"persistence"})
NOW = datetime(2026, 11, 28, tzinfo=UTC)


async def _insert_user(env, did, user_id=None):
    await env.execute(
        "INSERT INTO users (id, did, created_at) VALUES (:id, :did, :now)",
        id=user_id or uuid.uuid4(),
        did=did,
        now=NOW,
    )


async def _insert_invite(env, inviter_id, **columns):
    values = {
        "id": uuid.uuid4(),
        "inviter_id": inviter_id,
        "invitee_did": BOB,
        "invitee_handle": None,
        "status": "pending",
        "created_at": NOW,
        "accepted_by": None,
        "accepted_at": None,
        "revoked_at": None,
        **columns,
    }
    await env.execute(
        "INSERT INTO invites (id, inviter_id, invitee_did, invitee_handle, status, created_at,"
        " accepted_by, accepted_at, revoked_at) VALUES (:id, :inviter_id, :invitee_did,"
        " :invitee_handle, :status, :created_at, :accepted_by, :accepted_at, :revoked_at)",
        **values,
    )


async def _rejected(env, constraint, coro):
    """Runs the statement in a savepoint so the test's transaction survives the error."""
    await env.execute("SAVEPOINT constraint_check")
    with pytest.raises(IntegrityError, match=constraint):
        await coro
    await env.execute("ROLLBACK TO SAVEPOINT constraint_check")


async def test_duplicate_did(integration_env):
    await _insert_user(integration_env, BOB)
    await _rejected(integration_env, "uq_users_did", _insert_user(integration_env, BOB))


async def test_did_must_be_plc_or_web(integration_env):
    await _rejected(
        integration_env, "ck_users_did_method", _insert_user(integration_env, "did:key:z6Mk")
    )


async def test_dangling_inviter(integration_env):
    await _rejected(
        integration_env, "fk_invites_inviter", _insert_invite(integration_env, uuid.uuid4())
    )


@pytest.mark.parametrize(
    "columns",
    [
        {"status": "accepted"},  # accepted without acceptor or time
        {"status": "pending", "accepted_at": NOW},  # pending with an acceptance time
        {"status": "revoked"},  # revoked without a time
        {"status": "pending", "revoked_at": NOW},
    ],
    ids=[
        "accepted-without-acceptor",
        "pending-with-time",
        "revoked-without-time",
        "pending-revoked",
    ],
)
async def test_inconsistent_state(integration_env, columns):
    alice = await seed_member(integration_env, ALICE)
    await _rejected(
        integration_env,
        "ck_invites_state_consistent",
        _insert_invite(integration_env, alice.id, **columns),
    )


async def test_unknown_status_and_two_invitees(integration_env):
    alice = await seed_member(integration_env, ALICE)
    await _rejected(
        integration_env,
        "ck_invites_status_known|ck_invites_state_consistent",
        _insert_invite(integration_env, alice.id, status="expired"),
    )
    await _rejected(
        integration_env,
        "ck_invites_one_invitee",
        _insert_invite(integration_env, alice.id, invitee_handle="bob.test"),
    )


async def test_dangling_acceptor_is_caught_at_commit(integration_env):
    """accepted_by is deferred (checked at commit); force the check now."""
    alice = await seed_member(integration_env, ALICE)
    await integration_env.execute("SAVEPOINT constraint_check")
    await integration_env.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with pytest.raises(IntegrityError, match="fk_invites_accepted_by"):
        await _insert_invite(
            integration_env, alice.id, status="accepted", accepted_by=uuid.uuid4(), accepted_at=NOW
        )
    await integration_env.execute("ROLLBACK TO SAVEPOINT constraint_check")
