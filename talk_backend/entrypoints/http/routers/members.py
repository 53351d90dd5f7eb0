"""The signed-in member."""

# No `from __future__ import annotations`: dishka's wrapper needs real annotations.

from dishka.integrations.fastapi import DishkaRoute, FromDishka
from fastapi import APIRouter, HTTPException

from talk_backend.application.usecase.bluesky_grants.show import ShowBlueskyGrant
from talk_backend.entrypoints.http.openapi import errors
from talk_backend.entrypoints.http.schemas import BlueskyGrantOut, UserOut
from talk_backend.entrypoints.http.security import Member

router = APIRouter(tags=["members"], route_class=DishkaRoute, responses=errors(401))


@router.get("/me")
async def me(member: Member) -> UserOut:
    return UserOut.of(member)


@router.get(
    "/me/bluesky-session",
    responses=errors(
        400,
        404,
        e400="Bluesky refused to refresh the session: sign in again",
        e404="No Bluesky session for this member: sign in again",
    ),
)
async def bluesky_session(member: Member, show: FromDishka[ShowBlueskyGrant]) -> BlueskyGrantOut:
    """Whether this server can act for the member at Bluesky, refreshing the tokens
    first when they are (nearly) expired. Never returns the tokens."""
    status = await show.execute(member)
    if status is None:
        raise HTTPException(404, "no Bluesky session for this member; sign in again")
    return BlueskyGrantOut.of(status)
