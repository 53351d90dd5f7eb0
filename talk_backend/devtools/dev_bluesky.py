"""`serve --dev-bluesky`: the fake atproto services, settings pointing at them, and
a seeded founder plus an invite so a person can sign in on one machine."""

from __future__ import annotations

from dishka import AsyncContainer

from talk_backend.application.usecase.invites.create import CreateInvite
from talk_backend.application.usecase.users.register_founder import RegisterFounder
from talk_backend.devtools.fake_atproto import FakeAtproto
from talk_backend.domain.identity import Did, Handle
from talk_backend.settings import OAuthSettings, Settings

FOUNDER_DID, FOUNDER_HANDLE = "did:plc:devfounderdevfounderdevf", "founder.dev.test"
DEV_USER_DID, DEV_USER_HANDLE = "did:plc:devuser2devuser2devuser2", "newcomer.dev.test"


def dev_accounts(fake: FakeAtproto) -> None:
    fake.add_account(FOUNDER_DID, FOUNDER_HANDLE)
    fake.add_account(DEV_USER_DID, DEV_USER_HANDLE)


def dev_settings(settings: Settings, fake: FakeAtproto, public_url: str) -> Settings:
    oauth = OAuthSettings(
        public_url=public_url,
        plc_directory_url=fake.plc_directory_url,
        handle_resolver_url=fake.base_url,
        allow_insecure_loopback=True,
    )
    return settings.model_copy(update={"oauth": oauth})


async def seed(container: AsyncContainer) -> None:
    """The founder, and a pending invite for the dev user's handle."""
    async with container() as request:
        founder = await (await request.get(RegisterFounder)).execute(
            Did.parse(FOUNDER_DID), Handle.parse(FOUNDER_HANDLE)
        )
    async with container() as request:
        await (await request.get(CreateInvite)).execute(founder.id, DEV_USER_HANDLE)


def instructions(api_url: str) -> str:
    return f"""
talk-backend (dev Bluesky) on {api_url}
  founder: {FOUNDER_HANDLE} ({FOUNDER_DID}); invited: {DEV_USER_HANDLE}
Open {api_url}/ in a browser and sign in as {DEV_USER_HANDLE}
  (the fake Bluesky shows a consent page: approve or deny).
Without a browser, scripts/dev-signin-smoke.sh signs in with curl.
API docs: {api_url}/docs
"""
