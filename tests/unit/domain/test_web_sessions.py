import uuid
from datetime import UTC, datetime, timedelta

from talk_backend.domain.identity import Did, Handle
from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import WebSession, web_session_token_hash

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def test_a_session_stores_only_the_hash_of_its_token():
    user_id = uuid.uuid4()
    session, token = WebSession.open(user_id, NOW, timedelta(hours=2))
    assert token not in repr(session)
    assert session.token_hash == web_session_token_hash(token) != token
    assert (session.user_id, session.created_at, session.expires_at) == (
        user_id,
        NOW,
        NOW + timedelta(hours=2),
    )


def test_the_token_hash_is_sha256_hex_so_stored_rows_stay_valid():
    # Rows already in the database hold this hash: changing it signs everyone out.
    assert web_session_token_hash("abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_each_session_gets_its_own_unguessable_token():
    tokens = {WebSession.open(uuid.uuid4(), NOW, timedelta(hours=1))[1] for _ in range(50)}
    assert len(tokens) == 50
    assert all(len(t) >= 43 for t in tokens)  # at least 256 bits, url-safe base64


def test_a_session_is_live_until_exactly_its_expiry():
    session, _ = WebSession.open(uuid.uuid4(), NOW, timedelta(hours=1))
    assert session.is_live_at(NOW + timedelta(minutes=59, seconds=59))
    assert not session.is_live_at(NOW + timedelta(hours=1))


def test_register_records_who_when_and_by_whom():
    did, inviter = Did.parse("did:plc:z72i7hdynmk6r22z27h6tvur"), uuid.uuid4()
    user = User.register(did, Handle.parse("alice.test"), NOW, inviter)
    assert (user.did, user.handle, user.created_at, user.invited_by, user.is_active) == (
        did,
        Handle("alice.test"),
        NOW,
        inviter,
        True,
    )
    assert User.register(did, None, NOW, None).id != user.id
