"""The signed-in member."""

# No `from __future__ import annotations`: dishka's wrapper needs real annotations.

from dishka.integrations.fastapi import DishkaRoute, FromDishka
from fastapi import APIRouter

from talk_backend.application.usecase.bluesky_grants.refresh import RefreshBlueskyGrant
from talk_backend.entrypoints.http.openapi import errors
from talk_backend.entrypoints.http.schemas import BlueskyGrantOut, UserOut
from talk_backend.entrypoints.http.security import Member, SameOrigin

router = APIRouter(tags=["members"], route_class=DishkaRoute, responses=errors(401))


@router.get("/me")
async def me(member: Member) -> UserOut:
    return UserOut.of(member)


@router.post(
    "/me/bluesky-grant/refresh",
    dependencies=[SameOrigin],
    responses=errors(
        403,
        404,
        409,
        502,
        e403="A cross-site request",
        e404="No Bluesky grant for this member: sign in again",
        e409="Bluesky refused to refresh the grant: sign in again",
    ),
)
async def refresh_bluesky_grant(
    member: Member, refresh: FromDishka[RefreshBlueskyGrant]
) -> BlueskyGrantOut:
    """Whether this server can act for the member at Bluesky, refreshing the grant's
    tokens first when they are (nearly) expired: a POST, since that writes. Never
    returns the tokens."""
    return BlueskyGrantOut.of(await refresh.execute(member))
