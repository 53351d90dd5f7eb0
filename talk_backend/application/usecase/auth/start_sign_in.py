"""A person names their Bluesky account; we send their browser to its authorization server."""

from __future__ import annotations

from dataclasses import dataclass

from talk_backend.application.ports import AuthorizationRedirect, BlueskySignIn
from talk_backend.domain.identity import parse_account


@dataclass(frozen=True, slots=True)
class StartSignIn:
    bluesky: BlueskySignIn

    async def execute(self, account: str | None, browser_binding: str) -> AuthorizationRedirect:
        """Refuses malformed handles and DIDs before any network call. No account: the
        person chooses it at the entryway's authorization server."""
        named = parse_account(account) if account is not None else None
        return await self.bluesky.begin(named, browser_binding)
