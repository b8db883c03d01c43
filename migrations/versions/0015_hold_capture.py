"""loyalty_redemptions.visit_price (the visit's price when a hold was made: the cap's base, and
what a completed visit's price is compared with to flag a discount not entered in YClients)
and loyalty_redemptions.captured_by (the admin who captured a hold at checkout).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(precision=12, scale=2)


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode, which would recreate the SQLite table and lose its
    # partial index). `captured_by` is an audit id like the ledger's `actor_id` would be
    # without its key: SQLite cannot add a foreign key to an existing table.
    op.add_column("loyalty_redemptions", sa.Column("visit_price", MONEY, nullable=True))
    op.add_column("loyalty_redemptions", sa.Column("captured_by", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("loyalty_redemptions") as batch:
        batch.drop_column("captured_by")
        batch.drop_column("visit_price")
