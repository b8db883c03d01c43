"""sync_runs.kind (full or incremental) and sync_runs.requests (YClients pages read), and
an index to find a salon's last successful run of a kind.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "sync_runs", sa.Column("requests", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column(
        "sync_runs", sa.Column("kind", sa.String(length=16), server_default="full", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("sync_runs", "kind")
    op.drop_column("sync_runs", "requests")
