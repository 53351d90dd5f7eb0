import uuid
from datetime import UTC, datetime, timedelta

import pytest

from talk_backend.domain.errors import InvalidExpiry, InviteNotPending
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity
from talk_backend.domain.invites import Invite, InviteStatus

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DID = Did.parse("did:plc:z72i7hdynmk6r22z27h6tvur")


def _invite(invitee=DID, expires_at=None):
    return Invite.issue(uuid.uuid4(), invitee, NOW, expires_at)


def test_new_invite_is_pending():
    invite = _invite(expires_at=NOW + timedelta(days=1))
    assert invite.status_at(NOW) is InviteStatus.PENDING
    assert invite.is_usable_at(NOW)


def test_pending_invite_reads_expired_after_expiry():
    invite = _invite(expires_at=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=1)
    assert invite.status_at(later) is InviteStatus.EXPIRED
    assert not invite.is_usable_at(later)


def test_expiry_must_be_in_the_future():
    with pytest.raises(InvalidExpiry, match="future"):
        _invite(expires_at=NOW)


def test_accept_records_who_and_when():
    user_id = uuid.uuid4()
    accepted = _invite().accepted(user_id, NOW)
    assert (accepted.stored_status, accepted.accepted_by, accepted.accepted_at) == (
        InviteStatus.ACCEPTED,
        user_id,
        NOW,
    )


def test_cannot_accept_twice_or_after_revoke_or_expiry():
    invite = _invite(expires_at=NOW + timedelta(minutes=5))
    with pytest.raises(InviteNotPending):
        invite.accepted(uuid.uuid4(), NOW).accepted(uuid.uuid4(), NOW)
    with pytest.raises(InviteNotPending, match="revoked"):
        invite.revoked(NOW).accepted(uuid.uuid4(), NOW)
    with pytest.raises(InviteNotPending, match="expired"):
        invite.accepted(uuid.uuid4(), NOW + timedelta(minutes=5))


def test_did_invite_names_only_that_did():
    other = Did.parse("did:web:example.com")
    assert _invite().names(VerifiedIdentity(DID))
    assert not _invite().names(VerifiedIdentity(other, Handle.parse("x.test")))


def test_handle_invite_needs_a_verified_handle():
    invite = _invite(invitee=Handle.parse("alice.test"))
    assert invite.names(VerifiedIdentity(DID, Handle.parse("alice.test")))
    assert not invite.names(VerifiedIdentity(DID, None))
    assert not invite.names(VerifiedIdentity(DID, Handle.parse("handle.invalid")))


def test_revoking_records_when():
    revoked = _invite().revoked(NOW)
    assert (revoked.stored_status, revoked.revoked_at) == (InviteStatus.REVOKED, NOW)


def test_a_non_pending_invite_cannot_be_revoked_and_the_message_says_why():
    accepted = _invite().accepted(uuid.uuid4(), NOW)
    with pytest.raises(InviteNotPending) as refused:
        accepted.revoked(NOW)
    assert str(refused.value) == f"invite {accepted.id} is accepted"


def test_an_expired_invite_can_still_be_revoked():
    invite = _invite(expires_at=NOW + timedelta(minutes=1))
    assert invite.revoked(NOW + timedelta(hours=1)).stored_status is InviteStatus.REVOKED


def test_expiry_message_is_exact():
    with pytest.raises(InvalidExpiry) as refused:
        _invite(expires_at=NOW - timedelta(seconds=1))
    assert str(refused.value) == "an invite must expire in the future"
