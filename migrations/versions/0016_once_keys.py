"""once_keys: one-time keys of staff actions (point adjustments and redemptions, manual
links, syncs), so a double-click, a resubmitted form or a replayed request is applied once.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "once_keys",
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("actor_id", "key", name=op.f("pk_once_keys")),
    )
    op.create_index(op.f("ix_once_keys_created_at"), "once_keys", ["created_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_once_keys_created_at"), table_name="once_keys")
    op.drop_table("once_keys")
