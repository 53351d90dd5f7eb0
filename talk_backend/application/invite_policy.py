"""Limits on inviting, set by configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class InvitePolicy:
    max_pending_per_inviter: int = 10
    # None: invites never expire unless the inviter says so.
    default_ttl: timedelta | None = timedelta(days=30)
