"""loyalty_redemptions.released_by: who gave a hold back, an admin at the front desk or the
member (their own id); NULL when the visit's cancellation released it.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # An audit id without a foreign key, like `captured_by` (SQLite cannot add one to an
    # existing table; plain ADD COLUMN keeps the partial index).
    op.add_column("loyalty_redemptions", sa.Column("released_by", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loyalty_redemptions") as batch:
        batch.drop_column("released_by")
