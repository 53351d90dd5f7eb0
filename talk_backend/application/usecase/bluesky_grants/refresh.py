"""A member's Bluesky grant, refreshed when due: is it alive, until when, with what scope.

Refreshing writes (the new tokens, and the spent refresh token is gone at Bluesky), so
this is what a POST does, never a GET. A live answer means this server can act for
the member at their PDS now. Tokens never leave the port."""

from __future__ import annotations

from dataclasses import dataclass

from talk_backend.application.errors import GrantNotFound
from talk_backend.application.ports import BlueskyGrants, BlueskyGrantStatus
from talk_backend.domain.users import User


@dataclass(frozen=True, slots=True)
class RefreshBlueskyGrant:
    grants: BlueskyGrants

    async def execute(self, member: User) -> BlueskyGrantStatus:
        """Raises GrantNotFound when the member has no grant here, GrantRefreshRefused
        when Bluesky will not refresh it: either way, only a new sign-in helps."""
        # The store commits its own short transaction: a refresh must stay saved once
        # the authorization server has spent the old refresh token.
        status = await self.grants.fresh_status(member.did)
        if status is None:
            raise GrantNotFound("no Bluesky grant for this member; sign in again")
        return status
