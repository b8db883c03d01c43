"""salons.next_sync_at (the salon's next scheduled sync, spread over the interval; NULL until
the scheduler first sees it) and salons.sync_failures (failed runs in a row, for backoff).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("salons", sa.Column("next_sync_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "salons", sa.Column("sync_failures", sa.Integer(), server_default="0", nullable=False)
    )
    op.create_index("ix_salons_next_sync_at", "salons", ["next_sync_at"])


def downgrade() -> None:
    op.drop_index("ix_salons_next_sync_at", table_name="salons")
    op.drop_column("salons", "sync_failures")
    op.drop_column("salons", "next_sync_at")
