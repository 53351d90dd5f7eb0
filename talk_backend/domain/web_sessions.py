"""Web sessions: a signed-in browser. The cookie carries a random token; only its
hash is stored, so a database leak does not hand out live sessions."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta


def web_session_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    token_hash: str
    user_id: uuid.UUID
    created_at: datetime
    expires_at: datetime

    @classmethod
    def open(cls, user_id: uuid.UUID, now: datetime, ttl: timedelta) -> tuple[WebSession, str]:
        """A new session and the token for the cookie (returned once, never stored)."""
        token = secrets.token_urlsafe(32)
        return cls(web_session_token_hash(token), user_id, now, now + ttl), token

    def is_live_at(self, now: datetime) -> bool:
        return now < self.expires_at
