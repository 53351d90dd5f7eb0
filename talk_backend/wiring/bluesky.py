"""Group `bluesky`: the atproto OAuth client, HTTP only. Its state (pending requests,
grants) goes through ports the `persistence` group provides, faked or not."""

from __future__ import annotations

from collections.abc import AsyncIterator

from dishka import Provider, Scope, provide

from talk_backend.application.ports import (
    BlueskyGrantRevocation,
    BlueskyGrants,
    BlueskySignIn,
)
from talk_backend.infrastructure.bluesky.dpop import DpopNonces
from talk_backend.infrastructure.bluesky.dpop_requests import DpopPoster
from talk_backend.infrastructure.bluesky.guarded_http import GuardedHttpClient
from talk_backend.infrastructure.bluesky.identity_resolver import AtprotoIdentityResolver
from talk_backend.infrastructure.bluesky.revocation import AtprotoGrantRevocation
from talk_backend.infrastructure.bluesky.sign_in import AtprotoOAuthSignIn
from talk_backend.infrastructure.bluesky.token_refresh import (
    AtprotoBlueskyGrants,
    AtprotoTokenRefresher,
)
from talk_backend.settings import Settings


class BlueskyProvider(Provider):
    scope = Scope.APP

    @provide
    async def guarded_http(self, settings: Settings) -> AsyncIterator[GuardedHttpClient]:
        async with GuardedHttpClient(
            allow_insecure_loopback=settings.oauth.allow_insecure_loopback,
            timeout=settings.oauth.http_timeout_seconds,
        ) as http:
            yield http

    @provide
    def resolver(self, http: GuardedHttpClient, settings: Settings) -> AtprotoIdentityResolver:
        return AtprotoIdentityResolver(
            http,
            plc_directory_url=settings.oauth.plc_directory_url,
            handle_resolver_url=settings.oauth.handle_resolver_url,
        )

    nonces = provide(DpopNonces)
    poster = provide(DpopPoster)
    refresher = provide(AtprotoTokenRefresher)
    bluesky_grants = provide(AtprotoBlueskyGrants, provides=BlueskyGrants)
    revocation = provide(AtprotoGrantRevocation, provides=BlueskyGrantRevocation)
    sign_in = provide(AtprotoOAuthSignIn, provides=BlueskySignIn)
