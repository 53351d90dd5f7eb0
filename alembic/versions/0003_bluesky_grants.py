"""rename oauth_sessions to bluesky_grants: one word, grant, for what Bluesky hands over

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A rename keeps the rows (members stay connected to Bluesky). PostgreSQL does not
    # rename the primary key's constraint and index with the table: they follow here.
    op.rename_table("oauth_sessions", "bluesky_grants")
    op.execute(
        "ALTER TABLE bluesky_grants RENAME CONSTRAINT oauth_sessions_pkey TO bluesky_grants_pkey"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE bluesky_grants RENAME CONSTRAINT bluesky_grants_pkey TO oauth_sessions_pkey"
    )
    op.rename_table("bluesky_grants", "oauth_sessions")
