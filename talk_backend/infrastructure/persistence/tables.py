"""Table definitions for queries. They mirror the Alembic migrations, which own the
schema; tests compare the two so they cannot drift."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

metadata = sa.MetaData()

users = sa.Table(
    "users",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("did", sa.Text, nullable=False),
    sa.Column("handle", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("invited_by", UUID(as_uuid=True), nullable=True),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.UniqueConstraint("did", name="uq_users_did"),
    sa.ForeignKeyConstraint(["invited_by"], ["users.id"], name="fk_users_invited_by"),
)

invites = sa.Table(
    "invites",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("inviter_id", UUID(as_uuid=True), nullable=False),
    sa.Column("invitee_did", sa.Text, nullable=True),
    sa.Column("invitee_handle", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("accepted_by", UUID(as_uuid=True), nullable=True),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(["inviter_id"], ["users.id"], name="fk_invites_inviter"),
    sa.ForeignKeyConstraint(
        ["accepted_by"],
        ["users.id"],
        name="fk_invites_accepted_by",
        deferrable=True,
        initially="DEFERRED",
    ),
    sa.Index("ix_invites_inviter_created", "inviter_id", "created_at"),
    sa.Index(
        "ix_invites_pending_did", "invitee_did", postgresql_where=sa.text("status = 'pending'")
    ),
    sa.Index(
        "ix_invites_pending_handle",
        "invitee_handle",
        postgresql_where=sa.text("status = 'pending'"),
    ),
    sa.Index("uq_invites_accepted_by", "accepted_by", unique=True),
)

oauth_auth_requests = sa.Table(
    "oauth_auth_requests",
    metadata,
    sa.Column("state", sa.Text, primary_key=True),
    sa.Column("browser_binding_hash", sa.Text, nullable=False),
    sa.Column("issuer", sa.Text, nullable=False),
    sa.Column("did", sa.Text, nullable=False),
    sa.Column("pds_url", sa.Text, nullable=False),
    sa.Column("token_endpoint", sa.Text, nullable=False),
    sa.Column("pkce_verifier", sa.Text, nullable=False),
    sa.Column("dpop_private_jwk", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_oauth_auth_requests_expires", "expires_at"),
)

# What Bluesky granted at sign-in, per DID: the grant (see the glossary).
bluesky_grants = sa.Table(
    "bluesky_grants",
    metadata,
    sa.Column("did", sa.Text, primary_key=True),
    sa.Column("issuer", sa.Text, nullable=False),
    sa.Column("pds_url", sa.Text, nullable=False),
    sa.Column("token_endpoint", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),
    sa.Column("access_token", sa.Text, nullable=False),
    sa.Column("refresh_token", sa.Text, nullable=True),
    sa.Column("dpop_private_jwk", sa.Text, nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

web_sessions = sa.Table(
    "web_sessions",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),
    sa.Column(
        "user_id",
        UUID(as_uuid=True),
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_web_sessions_user", "user_id"),
)
