"""Members of talk-backend. A user exists only after an accepted invite (or seeding)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from talk_backend.domain.identity import Did, Handle


@dataclass(frozen=True, slots=True)
class User:
    id: uuid.UUID
    did: Did
    handle: Handle | None
    created_at: datetime
    invited_by: uuid.UUID | None = None
    is_active: bool = True

    @classmethod
    def register(
        cls, did: Did, handle: Handle | None, now: datetime, invited_by: uuid.UUID | None
    ) -> User:
        return cls(id=uuid.uuid4(), did=did, handle=handle, created_at=now, invited_by=invited_by)
