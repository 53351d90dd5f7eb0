"""The one composition root.

Providers come in named groups (GROUPS), each with its production providers in
talk_backend/wiring and a fake in tests/fakes. `create_container` wires every group's
production providers except those given as `fakes`."""

from __future__ import annotations

import importlib
from collections.abc import Collection, Mapping
from datetime import timedelta
from typing import Any

from dishka import (
    AsyncContainer,
    Provider,
    Scope,
    from_context,
    make_async_container,
    provide,
    provide_all,
)

from talk_backend.application.invite_policy import InvitePolicy
from talk_backend.application.sign_in_rate import SignInRateLimit
from talk_backend.application.usecase.auth.complete_sign_in import CompleteSignIn
from talk_backend.application.usecase.auth.start_sign_in import StartSignIn
from talk_backend.application.usecase.bluesky_grants.refresh import RefreshBlueskyGrant
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.invites.list import ListInvites
from talk_backend.application.usecase.invites.revoke import RevokeInvite
from talk_backend.application.usecase.users.register_founder import RegisterFounder
from talk_backend.application.usecase.web_sessions.close import CloseWebSession
from talk_backend.application.usecase.web_sessions.current_user import CurrentUser
from talk_backend.application.usecase.web_sessions.open import OpenWebSession
from talk_backend.application.web_session_policy import WebSessionPolicy
from talk_backend.infrastructure.bluesky.client_identity import ClientIdentity
from talk_backend.settings import Settings


class SettingsProvider(Provider):
    """The settings, handed in when the container is made (`context={Settings: ...}`),
    and the policies read from them."""

    settings = from_context(provides=Settings, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def invite_policy(self, settings: Settings) -> InvitePolicy:
        ttl_days = settings.invites.default_ttl_days
        return InvitePolicy(
            max_pending_per_inviter=settings.invites.max_pending,
            default_ttl=timedelta(days=ttl_days) if ttl_days else None,
        )

    @provide(scope=Scope.APP)
    def web_session_policy(self, settings: Settings) -> WebSessionPolicy:
        return WebSessionPolicy(ttl=timedelta(hours=settings.sessions.ttl_hours))

    @provide(scope=Scope.APP)
    def sign_in_rate_limit(self, settings: Settings) -> SignInRateLimit:
        limits = settings.sign_in
        return SignInRateLimit(limits.per_address_per_minute, limits.total_per_minute)

    @provide(scope=Scope.APP)
    def client_identity(self, settings: Settings) -> ClientIdentity:
        # Pure configuration (the metadata and JWKS documents need it even with Bluesky faked).
        return ClientIdentity(settings.oauth)


class UseCaseProvider(Provider):
    scope = Scope.REQUEST
    use_cases = provide_all(
        CompleteSignIn,
        StartSignIn,
        CreateInvite,
        RevokeInvite,
        ListInvites,
        RegisterFounder,
        OpenWebSession,
        CloseWebSession,
        CurrentUser,
        RefreshBlueskyGrant,
    )


# Each group's providers, by name, in a module of its own (talk_backend/wiring): a
# group a test fakes is never imported, so a run with Bluesky faked does not load the
# atproto client. A fake for each lives in tests/fakes/providers.py.
GROUPS: Mapping[str, str] = {
    "persistence": "talk_backend.wiring.persistence:PersistenceProvider",
    "bluesky": "talk_backend.wiring.bluesky:BlueskyProvider",
    "clock": "talk_backend.wiring.clock:ClockProvider",
}


def check_groups(names: Collection[str]) -> None:
    """Refuses names that are not provider groups, listing the ones there are."""
    unknown = sorted(set(names) - set(GROUPS))
    if unknown:
        raise ValueError(
            f"unknown provider group(s) {', '.join(unknown)}; "
            f"valid groups: {', '.join(sorted(GROUPS))}"
        )


def group_provider(name: str) -> type[Provider]:
    """The production providers of group `name`, imported now."""
    module, _, attribute = GROUPS[name].partition(":")
    provider: type[Provider] = getattr(importlib.import_module(module), attribute)
    return provider


def create_container(
    settings: Settings,
    *,
    fakes: Mapping[str, Provider] | None = None,
    extra: tuple[Provider, ...] = (),
    context: Mapping[Any, object] | None = None,
) -> AsyncContainer:
    """Wires the application. `fakes` stand in for whole provider groups, by name (tests
    fake the outer boundary); every other group gets its production providers. `extra`
    adds providers such as an entrypoint's own; `context` hands in values the providers
    take `from_context` besides the settings (a test's connection)."""
    fakes = dict(fakes or {})
    check_groups(fakes)
    groups = [fakes.get(name) or group_provider(name)() for name in GROUPS]
    return make_async_container(
        SettingsProvider(),
        *groups,
        UseCaseProvider(),
        *extra,
        context={**(context or {}), Settings: settings},
    )
