"""Signing out ends the session server-side, whatever the browser keeps, and ends the
member's grant at Bluesky: its tokens are forgotten here and revoked there."""

from __future__ import annotations

from dataclasses import dataclass

from talk_backend.application.ports import (
    BlueskyGrantRevocation,
    BlueskyGrantStore,
    TransactionManager,
    UserRepository,
    WebSessionRepository,
)
from talk_backend.domain.web_sessions import web_session_token_hash


@dataclass(frozen=True, slots=True)
class CloseWebSession:
    web_sessions: WebSessionRepository
    users: UserRepository
    grants: BlueskyGrantStore
    revocation: BlueskyGrantRevocation
    tx: TransactionManager

    async def execute(self, token: str) -> None:
        """The web session and the member's stored grant go in one transaction; the
        grant is revoked at Bluesky after the commit, outside the transaction (a network
        call must not hold it open), and a failed revocation does not undo the sign-out."""
        token_hash = web_session_token_hash(token)
        grant = None
        async with self.tx:
            session = await self.web_sessions.get(token_hash)
            if session is not None:
                user = await self.users.get(session.user_id)
                if user is not None:
                    grant = await self.grants.take(user.did)
            await self.web_sessions.delete(token_hash)
            await self.tx.commit()
        if grant is not None:
            await self.revocation.revoke(grant)
