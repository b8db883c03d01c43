"""Points expiry: one row per expired lot (a lot is a positive ACCRUAL / ADJUSTMENT entry),
its primary key making the lot's EXPIRY entry exactly-once, and one row per reminded lot
(a reminder goes out once per lot).

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=12, scale=2)


def upgrade() -> None:
    op.create_table(
        "points_lot_expiries",
        sa.Column("lot_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("points", MONEY, nullable=False),
        sa.Column("expired_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_entry_id"],
            ["loyalty_transactions.id"],
            name=op.f("fk_points_lot_expiries_lot_entry_id_loyalty_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["loyalty_transactions.id"],
            name=op.f("fk_points_lot_expiries_entry_id_loyalty_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_points_lot_expiries_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lot_entry_id", name=op.f("pk_points_lot_expiries")),
    )
    op.create_index("ix_points_lot_expiries_user_id", "points_lot_expiries", ["user_id"])
    op.create_table(
        "points_lot_reminders",
        sa.Column("lot_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=False),
        sa.Column("sent_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["lot_entry_id"],
            ["loyalty_transactions.id"],
            name=op.f("fk_points_lot_reminders_lot_entry_id_loyalty_transactions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_points_lot_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("lot_entry_id", name=op.f("pk_points_lot_reminders")),
    )
    op.create_index("ix_points_lot_reminders_user_id", "points_lot_reminders", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_points_lot_reminders_user_id", table_name="points_lot_reminders")
    op.drop_table("points_lot_reminders")
    op.drop_index("ix_points_lot_expiries_user_id", table_name="points_lot_expiries")
    op.drop_table("points_lot_expiries")
