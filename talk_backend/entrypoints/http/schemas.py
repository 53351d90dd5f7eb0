"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from talk_backend.application.ports import BlueskySessionStatus
from talk_backend.application.usecase.invites.list import InviteSummary
from talk_backend.domain.invites import Invite, InviteStatus
from talk_backend.domain.users import User

# Longest DID (2048) plus slack for whitespace and a leading '@'.
AccountText = Annotated[str, Field(min_length=1, max_length=2100)]


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: AccountText | None = Field(
        default=None,
        description="A Bluesky handle (alice.bsky.social) or DID; omitted: the person "
        "picks the account at the entryway's authorization server (ATPROTO_PDS_URL)",
    )


class LoginStarted(BaseModel):
    authorization_url: str


class UserOut(BaseModel):
    id: uuid.UUID
    did: str
    handle: str | None
    created_at: datetime
    invited_by: uuid.UUID | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            did=user.did.value,
            handle=user.handle.value if user.handle else None,
            created_at=user.created_at,
            invited_by=user.invited_by,
        )


class BlueskySessionOut(BaseModel):
    """The member's Bluesky link; never the tokens themselves."""

    did: str
    scope: str
    expires_at: datetime

    @classmethod
    def of(cls, status: BlueskySessionStatus) -> BlueskySessionOut:
        return cls(did=status.did, scope=status.scope, expires_at=status.expires_at)


class CreateInviteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invitee: AccountText = Field(description="The invitee's handle or DID")
    expires_at: AwareDatetime | None = None


class InviteOut(BaseModel):
    id: uuid.UUID
    invitee: str
    status: InviteStatus
    created_at: datetime
    expires_at: datetime | None
    accepted_by: uuid.UUID | None

    @classmethod
    def of(cls, invite: Invite, status: InviteStatus) -> InviteOut:
        return cls(
            id=invite.id,
            invitee=invite.invitee.value,
            status=status,
            created_at=invite.created_at,
            expires_at=invite.expires_at,
            accepted_by=invite.accepted_by,
        )

    @classmethod
    def of_summary(cls, summary: InviteSummary) -> InviteOut:
        return cls.of(summary.invite, summary.status)


class Health(BaseModel):
    status: str
    database: str
