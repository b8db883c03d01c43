"""dismissed_clients: clients the desk marked "not a member" (by phone key, else email), so
their unmatched bookings leave the console's to-do list.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dismissed_clients",
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.String(length=320), nullable=False),
        sa.Column("dismissed_by", sa.BigInteger(), nullable=False),
        sa.Column("dismissed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "value", name=op.f("pk_dismissed_clients")),
    )


def downgrade() -> None:
    op.drop_table("dismissed_clients")
