"""How long a web session lasts, set by configuration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class WebSessionPolicy:
    ttl: timedelta = timedelta(days=14)
