"""A failed write must not put its bound values (tokens, DPoP keys) into the exception
text, which ends up in tracebacks and logs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from talk_backend.infrastructure.persistence.database import create_engine
from talk_backend.infrastructure.persistence.tables import bluesky_grants
from tests.factories import BOB
from tests.harness import create_env_fixture

database_env = create_env_fixture(unmock={"persistence"}, isolation="database")


async def test_a_failed_token_insert_does_not_show_the_tokens(database_env):
    now = datetime.now(UTC)
    row = {
        "did": BOB,
        "issuer": "https://as.example.com",
        "pds_url": "https://pds.example.com",
        "token_endpoint": "https://as.example.com/oauth/token",
        "scope": "atproto",
        "access_token": "ACCESS-TOKEN-SECRET",
        "refresh_token": "REFRESH-TOKEN-SECRET",
        "dpop_private_jwk": '{"d": "PRIVATE-KEY-SECRET"}',
        "expires_at": now,
        "updated_at": now,
    }
    engine = create_engine(database_env.database_url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(bluesky_grants).values(**row))
            with pytest.raises(IntegrityError) as caught:
                await conn.execute(sa.insert(bluesky_grants).values(**row))
    finally:
        await engine.dispose()

    message = str(caught.value)
    assert "INSERT INTO bluesky_grants" in message  # the SQL is still there to debug
    assert "SECRET" not in message, message
