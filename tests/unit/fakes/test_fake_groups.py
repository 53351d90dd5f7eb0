"""Each fake group stands in for exactly what its production group provides: the same
ports, each per request or longer-lived as in production. A port the fake forgot
would fail only the tests that happen to ask for it; one it adds would hide a port
production lacks."""

from __future__ import annotations

import importlib
import inspect

import pytest
from dishka import Provider, Scope

from talk_backend.application import ports
from talk_backend.container import GROUPS
from tests.fakes.providers import fake_groups

PORTS = {
    obj for _, obj in inspect.getmembers(ports, inspect.isclass) if obj.__module__ == ports.__name__
}


def _production(group: str) -> Provider:
    module, _, name = GROUPS[group].partition(":")
    provider: Provider = getattr(importlib.import_module(module), name)()
    return provider


def _ports(provider: Provider) -> dict[type, str]:
    """Port -> "request" or "longer" (a fake's other sources take the scope the
    harness gives its provider: APP or SESSION, both outlive a request)."""
    found: dict[type, str] = {}
    by_key = {}
    for factory in provider.factories:
        scope = "request" if factory.scope == Scope.REQUEST else "longer"
        by_key[factory.provides] = scope
        if factory.provides.type_hint in PORTS:
            found[factory.provides.type_hint] = scope
    for alias in provider.aliases:
        if alias.provides.type_hint in PORTS:
            found[alias.provides.type_hint] = by_key[alias.source]
    return found


def test_ports_are_found():
    """The comparison below is not empty: the port module's Protocols are seen."""
    assert {"UserRepository", "Clock", "BlueskySignIn"} <= {p.__name__ for p in PORTS}


@pytest.mark.parametrize("group", sorted(GROUPS))
def test_fake_group_provides_the_production_groups_ports(group):
    fake = fake_groups({group}, Scope.APP)[group]
    production = _ports(_production(group))
    assert production, f"group {group} provides no port"
    assert _ports(fake) == production
