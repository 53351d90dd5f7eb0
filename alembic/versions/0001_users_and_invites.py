"""users and invites

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# States must be internally consistent whatever code writes them.
_STATE_CONSISTENT = """
(status = 'pending'  AND accepted_by IS NULL AND accepted_at IS NULL AND revoked_at IS NULL)
OR (status = 'accepted' AND accepted_by IS NOT NULL AND accepted_at IS NOT NULL
    AND revoked_at IS NULL)
OR (status = 'revoked' AND revoked_at IS NOT NULL AND accepted_by IS NULL
    AND accepted_at IS NULL)
"""


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("did", sa.Text, nullable=False),
        sa.Column("handle", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invited_by", UUID(as_uuid=True), nullable=True),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.UniqueConstraint("did", name="uq_users_did"),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"], name="fk_users_invited_by"),
        sa.CheckConstraint("did ~ '^did:(plc|web):'", name="ck_users_did_method"),
        sa.CheckConstraint(
            "handle IS NULL OR handle = lower(handle)", name="ck_users_handle_lower"
        ),
    )
    op.create_table(
        "invites",
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
        # Deferred: a first login claims the invite, then inserts the user it names,
        # in one transaction; the reference is checked at commit.
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["users.id"],
            name="fk_invites_accepted_by",
            deferrable=True,
            initially="DEFERRED",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'revoked')", name="ck_invites_status_known"
        ),
        sa.CheckConstraint(_STATE_CONSISTENT, name="ck_invites_state_consistent"),
        sa.CheckConstraint(
            "(invitee_did IS NULL) <> (invitee_handle IS NULL)", name="ck_invites_one_invitee"
        ),
        sa.CheckConstraint(
            "expires_at IS NULL OR expires_at > created_at", name="ck_invites_expiry_after_creation"
        ),
    )
    # The lookups the use cases make: an inviter's list and quota, a login's invites.
    op.create_index("ix_invites_inviter_created", "invites", ["inviter_id", "created_at"])
    op.create_index(
        "ix_invites_pending_did",
        "invites",
        ["invitee_did"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_invites_pending_handle",
        "invites",
        ["invitee_handle"],
        postgresql_where=sa.text("status = 'pending'"),
    )
    # One accepted invite per user: an account is created by exactly one invite.
    op.create_index("uq_invites_accepted_by", "invites", ["accepted_by"], unique=True)


def downgrade() -> None:
    op.drop_table("invites")
    op.drop_table("users")
