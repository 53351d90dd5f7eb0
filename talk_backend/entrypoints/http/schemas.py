"""Request and response bodies of the HTTP API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)

from talk_backend.application.ports import BlueskyGrantStatus
from talk_backend.application.usecase.invites.list import InviteSummary
from talk_backend.domain.invites import Invite, InviteStatus
from talk_backend.domain.users import User

# The account syntax the domain accepts (talk_backend.domain.identity), stated in the
# schema so a client knows what is valid; the domain parser checks it and says what is
# wrong in words (a regex mismatch would not). Handles take a leading '@', any case.
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_TLD = r"[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HANDLE_PATTERN = rf"^@?({_LABEL}\.)+{_TLD}$"
DID_PATTERN = rf"^(did:plc:[a-z2-7]{{24}}|did:web:({_LABEL}\.)+{_TLD}(%3[Aa][0-9]{{1,5}})?)$"
AccountText = Annotated[
    str,
    Field(min_length=1, max_length=2100),
    WithJsonSchema(
        {
            "type": "string",
            "anyOf": [
                {"pattern": HANDLE_PATTERN, "minLength": 3, "maxLength": 254},
                {"pattern": DID_PATTERN, "maxLength": 2048},
            ],
        }
    ),
]


class SignInRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    account: AccountText | None = Field(
        default=None,
        description="A Bluesky handle (alice.bsky.social) or DID; omitted: the person "
        "picks the account at the entryway's authorization server (ATPROTO_PDS_URL)",
    )


class SignInStarted(BaseModel):
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


class BlueskyGrantOut(BaseModel):
    """The member's Bluesky grant; never the tokens themselves."""

    did: str
    scope: str
    expires_at: datetime

    @classmethod
    def of(cls, status: BlueskyGrantStatus) -> BlueskyGrantOut:
        return cls(did=status.did, scope=status.scope, expires_at=status.expires_at)


class CreateInviteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    invitee: AccountText = Field(description="The invitee's handle or DID")
    expires_at: AwareDatetime | None = Field(
        default=None, description="With a UTC offset; in the future, and before year 9999 in UTC"
    )

    @field_validator("expires_at")
    @classmethod
    def _representable_in_utc(cls, value: datetime | None) -> datetime | None:
        # 9999-12-31T23:59:59-14:00 is a valid timestamp whose UTC time does not exist
        # in Python (year 10000): refuse it here, not with an OverflowError at insert.
        if value is None:
            return None
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("expires_at is out of range once converted to UTC") from None


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
