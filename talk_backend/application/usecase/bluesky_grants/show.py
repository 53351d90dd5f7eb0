"""A member's link to Bluesky: is it alive, until when, with what scope.

Asking refreshes the tokens when they are (nearly) expired, so a live answer means
this server can act for the member at their PDS now. Tokens never leave the port."""

from __future__ import annotations

from talk_backend.application.ports import BlueskyGrants, BlueskyGrantStatus
from talk_backend.domain.users import User


class ShowBlueskyGrant:
    def __init__(self, grants: BlueskyGrants) -> None:
        self._grants = grants

    async def execute(self, member: User) -> BlueskyGrantStatus | None:
        # The store commits its own short transaction: a refresh must stay saved once
        # the authorization server has spent the old refresh token.
        return await self._grants.fresh_status(member.did)
