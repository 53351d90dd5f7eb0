"""Invites: the only way in. A pending invite becomes accepted, revoked or expired."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from talk_backend.domain.errors import InvalidExpiry, InviteNotPending
from talk_backend.domain.identity import Did, Handle, VerifiedIdentity


class InviteStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    # Never stored: a pending invite past its expiry reads as expired.
    EXPIRED = "expired"


# Whom an invite is for. A DID is exact; a handle only matches a verified handle.
Invitee = Did | Handle


@dataclass(frozen=True, slots=True)
class Invite:
    id: uuid.UUID
    inviter_id: uuid.UUID
    invitee: Invitee
    created_at: datetime
    expires_at: datetime | None
    stored_status: InviteStatus = InviteStatus.PENDING
    accepted_by: uuid.UUID | None = None
    accepted_at: datetime | None = None
    revoked_at: datetime | None = None

    @classmethod
    def issue(
        cls, inviter_id: uuid.UUID, invitee: Invitee, now: datetime, expires_at: datetime | None
    ) -> Invite:
        if expires_at is not None and expires_at <= now:
            raise InvalidExpiry("an invite must expire in the future")
        return cls(
            id=uuid.uuid4(),
            inviter_id=inviter_id,
            invitee=invitee,
            created_at=now,
            expires_at=expires_at,
        )

    def status_at(self, now: datetime) -> InviteStatus:
        if self.stored_status is InviteStatus.PENDING and self.is_expired_at(now):
            return InviteStatus.EXPIRED
        return self.stored_status

    def is_expired_at(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    def is_usable_at(self, now: datetime) -> bool:
        """The invite rule: it can be accepted while stored pending and not expired."""
        return self.status_at(now) is InviteStatus.PENDING

    def is_revocable(self) -> bool:
        """Withdrawing is allowed while stored pending, expired or not."""
        return self.stored_status is InviteStatus.PENDING

    def names(self, identity: VerifiedIdentity) -> bool:
        """An invite names a person by DID, or by a handle that was verified both ways."""
        if isinstance(self.invitee, Did):
            return self.invitee == identity.did
        return self.invitee.matches(identity.verified_handle)

    def accepted(self, user_id: uuid.UUID, now: datetime) -> Invite:
        if not self.is_usable_at(now):
            raise InviteNotPending(f"invite {self.id} is {self.status_at(now)}")
        return replace(
            self, stored_status=InviteStatus.ACCEPTED, accepted_by=user_id, accepted_at=now
        )

    def revoked(self, now: datetime) -> Invite:
        if not self.is_revocable():
            raise InviteNotPending(f"invite {self.id} is {self.status_at(now)}")
        return replace(self, stored_status=InviteStatus.REVOKED, revoked_at=now)
