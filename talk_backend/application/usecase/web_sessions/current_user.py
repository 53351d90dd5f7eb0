"""Who a session cookie belongs to: a live session of an active member, or nobody."""

from __future__ import annotations

from talk_backend.application.ports import Clock, SignedInMembers
from talk_backend.domain.users import User
from talk_backend.domain.web_sessions import web_session_token_hash


class CurrentUser:
    def __init__(self, members: SignedInMembers, clock: Clock) -> None:
        self._members = members
        self._clock = clock

    async def execute(self, token: str | None) -> User | None:
        if not token:
            return None
        found = await self._members.web_session_with_member(web_session_token_hash(token))
        if found is None:
            return None
        session, user = found
        if not session.is_live_at(self._clock.now()) or not user.is_active:
            return None
        return user
