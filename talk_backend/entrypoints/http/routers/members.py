"""The signed-in member."""

# No `from __future__ import annotations`: dishka's wrapper needs real annotations.

from fastapi import APIRouter

from talk_backend.entrypoints.http.schemas import UserOut
from talk_backend.entrypoints.http.security import Member

router = APIRouter(tags=["members"])


@router.get("/me", responses={401: {"description": "Not signed in"}})
async def me(member: Member) -> UserOut:
    return UserOut.of(member)
