"""Group `clock`: the system's time."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from talk_backend.application.ports import Clock
from talk_backend.infrastructure.clock import SystemClock


class ClockProvider(Provider):
    clock = provide(SystemClock, scope=Scope.APP, provides=Clock)
