"""Test data shared by unit and integration tests."""

from __future__ import annotations

from talk_backend.application.usecase.users.register_founder import RegisterFounder
from talk_backend.domain.identity import Did, Handle
from talk_backend.domain.users import User
from tests.harness.env import Env

# Syntactically valid did:plc identifiers (24 base32 characters).
ALICE = "did:plc:alice2345alice2345alice2"
BOB = "did:plc:bob234567bob234567bob234"
CAROL = "did:plc:carol234carol234carol234"
DAVE = "did:plc:dave2345dave2345dave2345"


async def seed_member(env: Env, did: str, handle: str | None = None) -> User:
    """A member who exists already (through the operator path, not an invite)."""
    register = await env.get(RegisterFounder)
    return await register.execute(Did.parse(did), Handle.parse(handle) if handle else None)
