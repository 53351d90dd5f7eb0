"""A member's invites: send, list, revoke."""

# No `from __future__ import annotations`: dishka's wrapper needs real annotations.

import uuid

from dishka.integrations.fastapi import DishkaRoute, FromDishka
from fastapi import APIRouter

from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.invites.list import ListInvites
from talk_backend.application.usecase.invites.revoke import RevokeInvite
from talk_backend.domain.invites import InviteStatus
from talk_backend.entrypoints.http.json_body import JsonBody
from talk_backend.entrypoints.http.openapi import errors
from talk_backend.entrypoints.http.schemas import CreateInviteRequest, InviteOut
from talk_backend.entrypoints.http.security import Member, SameOrigin

router = APIRouter(
    prefix="/invites",
    tags=["invites"],
    route_class=DishkaRoute,
    responses=errors(401),
)


@router.post(
    "",
    status_code=201,
    dependencies=[SameOrigin, JsonBody],
    responses=errors(400, 403, 404, 409, 413, 415, e400="The body is not UTF-8 JSON"),
)
async def create_invite(
    body: CreateInviteRequest, member: Member, create: FromDishka[CreateInvite]
) -> InviteOut:
    invite = await create.execute(member.id, body.invitee, body.expires_at)
    return InviteOut.of(invite, InviteStatus.PENDING)


@router.get("")
async def list_invites(member: Member, list_: FromDishka[ListInvites]) -> list[InviteOut]:
    return [InviteOut.of_summary(s) for s in await list_.execute(member.id)]


@router.delete(
    "/{invite_id}",
    dependencies=[SameOrigin],
    responses=errors(403, 404, 409, e403="A cross-site request, or not your invite"),
)
async def revoke_invite(
    invite_id: uuid.UUID, member: Member, revoke: FromDishka[RevokeInvite]
) -> InviteOut:
    invite = await revoke.execute(member.id, invite_id)
    return InviteOut.of(invite, InviteStatus.REVOKED)
