"""`serve --dev-bluesky`: the fake atproto services, settings pointing at them, and
a seeded founder plus an invite so a person can sign in on one machine."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from dishka import AsyncContainer

from talk_backend.application.ports import UserRepository
from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.users.register_founder import RegisterFounder
from talk_backend.devtools.fake_atproto import FakeAtproto
from talk_backend.domain.errors import InviteAlreadyPending
from talk_backend.domain.identity import Did, Handle
from talk_backend.settings import OAuthSettings, Settings

FOUNDER_DID, FOUNDER_HANDLE = "did:plc:devfounderdevfounderdevf", "founder.dev.test"
DEV_USER_DID, DEV_USER_HANDLE = "did:plc:devuser2devuser2devuser2", "newcomer.dev.test"


def dev_accounts(fake: FakeAtproto) -> None:
    fake.add_account(FOUNDER_DID, FOUNDER_HANDLE)
    fake.add_account(DEV_USER_DID, DEV_USER_HANDLE)
    # Any other *.dev.test handle is a stranger with no invite: try a refused sign-in.
    fake.open_suffix = ".dev.test"
    # Signing in without naming an account picks the invited dev user at the fake.
    fake.chosen_account = DEV_USER_DID


def dev_settings(settings: Settings, fake: FakeAtproto, public_url: str) -> Settings:
    oauth = OAuthSettings(
        public_url=public_url,
        plc_directory_url=fake.plc_directory_url,
        handle_resolver_url=fake.base_url,
        allow_insecure_loopback=True,
    )
    return settings.model_copy(update={"oauth": oauth, "atproto_pds_url": fake.base_url})


async def seed(container: AsyncContainer, between: Callable[[], None] = lambda: None) -> None:
    """The founder, and a pending invite for the dev user's handle. Idempotent: a
    restart on the same database (DATABASE__URL) finds them and adds nothing.

    `between` runs between the steps (serve checks there for a stop request)."""
    async with container() as request:
        founder = await (await request.get(UserRepository)).get_by_did(Did.parse(FOUNDER_DID))
    between()
    if founder is None:
        async with container() as request:
            founder = await (await request.get(RegisterFounder)).execute(
                Did.parse(FOUNDER_DID), Handle.parse(FOUNDER_HANDLE)
            )
        between()
    async with container() as request:
        if await (await request.get(UserRepository)).get_by_did(Did.parse(DEV_USER_DID)):
            return  # the dev user signed in on an earlier run
        with contextlib.suppress(InviteAlreadyPending):
            await (await request.get(CreateInvite)).execute(founder.id, DEV_USER_HANDLE)


def instructions(api_url: str) -> str:
    return f"""
talk-backend (dev Bluesky) on {api_url}
  founder: {FOUNDER_HANDLE} ({FOUNDER_DID}); invited: {DEV_USER_HANDLE}
Open {api_url}/ in a browser and sign in as {DEV_USER_HANDLE}
  (the fake Bluesky shows a consent page: approve or deny).
Any other *.dev.test handle is a stranger without an invite: refused, nothing stored.
Without a browser, scripts/dev-signin-smoke.sh signs in with curl.
API docs: {api_url}/docs
"""
