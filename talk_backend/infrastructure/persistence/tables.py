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
    sa.Column("did", sa.Text, nullable=False, unique=True),
    sa.Column("handle", sa.Text, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("invited_by", UUID(as_uuid=True), sa.ForeignKey("users.id"), nullable=True),
    sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
)

invites = sa.Table(
    "invites",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("inviter_id", UUID(as_uuid=True), sa.ForeignKey("users.id"), nullable=False),
    sa.Column("invitee_did", sa.Text, nullable=True),
    sa.Column("invitee_handle", sa.Text, nullable=True),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("accepted_by", UUID(as_uuid=True), sa.ForeignKey("users.id"), nullable=True),
    sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)
