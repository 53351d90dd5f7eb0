"""PKCE with S256, the only method atproto allows."""

from __future__ import annotations

import secrets

from talk_backend.infrastructure.bluesky.s256 import s256


def s256_challenge(verifier: str) -> str:
    return s256(verifier)


def new_verifier() -> str:
    return secrets.token_urlsafe(48)
