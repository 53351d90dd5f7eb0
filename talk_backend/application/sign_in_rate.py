"""How often sign-in may start: per client address and in total (token buckets).

Each start stores a pending authorization and calls an authorization server, and needs
no account: without a limit anyone can make this server write rows and send requests
at will. Kept in memory, per process: it bounds one server's work, and the pending
rows are capped in the database as well (SIGN_IN__MAX_PENDING).

Buckets are made only for starts that the total allows, so at most about
`total_per_minute` addresses are tracked; full buckets are dropped."""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class TokenBuckets:
    """Buckets of `per_minute` tokens, refilled evenly over a minute."""

    def __init__(self, per_minute: int) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0  # tokens per second

    def level(self, bucket: _Bucket, now: float) -> float:
        return min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)

    def wait(self, tokens: float) -> int:
        """Whole seconds until one token is there (Retry-After)."""
        return max(1, math.ceil((1.0 - tokens) / self.rate))


def address_key(host: str) -> str:
    """IPv6 clients are keyed by their /64: one host usually holds a whole /64."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


class SignInRateLimit:
    def __init__(
        self,
        per_address_per_minute: int,
        total_per_minute: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        now = clock()
        self._per_address = TokenBuckets(per_address_per_minute)
        self._overall = TokenBuckets(total_per_minute)
        self._total = _Bucket(float(total_per_minute), now)
        self._addresses: dict[str, _Bucket] = {}

    def take(self, client_host: str) -> int | None:
        """None: allowed, and counted. Otherwise the seconds to wait (nothing counted)."""
        now = self._clock()
        key = address_key(client_host)
        bucket = self._addresses.get(key)
        mine = self._per_address.level(bucket, now) if bucket else self._per_address.capacity
        if mine < 1.0:
            return self._per_address.wait(mine)
        total = self._overall.level(self._total, now)
        if total < 1.0:
            return self._overall.wait(total)
        self._total = _Bucket(total - 1.0, now)
        self._addresses[key] = _Bucket(mine - 1.0, now)
        if len(self._addresses) > self._overall.capacity:
            self._forget_full(now)
        return None

    def tracked(self) -> int:
        return len(self._addresses)

    def _forget_full(self, now: float) -> None:
        full = self._per_address.capacity
        for key, bucket in list(self._addresses.items()):
            if self._per_address.level(bucket, now) >= full:
                del self._addresses[key]
