"""Who a session cookie belongs to: a live session of an active member, or nobody."""

from __future__ import annotations

from talk_backend.application.ports import Clock, UserRepository, WebSessionRepository
from talk_backend.domain.sessions import session_token_hash
from talk_backend.domain.users import User


class CurrentUser:
    def __init__(self, sessions: WebSessionRepository, users: UserRepository, clock: Clock) -> None:
        self._sessions = sessions
        self._users = users
        self._clock = clock

    async def execute(self, token: str | None) -> User | None:
        if not token:
            return None
        session = await self._sessions.get(session_token_hash(token))
        if session is None or not session.is_live_at(self._clock.now()):
            return None
        user = await self._users.get(session.user_id)
        return user if user is not None and user.is_active else None
