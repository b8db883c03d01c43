"""loyalty_redemptions (points held on an upcoming visit, or spent by staff) and
loyalty_transactions.redemption_id, unique with the entry kind: a redemption's HOLD, RELEASE
or REDEMPTION entry can be written once only, and at most one redemption per booking is HELD.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER PRIMARY KEY autoincrements
UTC_TIME = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=12, scale=2)


def upgrade() -> None:
    op.create_table(
        "loyalty_redemptions",
        sa.Column("id", ID, sa.Identity(always=False, start=1), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("booking_id", sa.BigInteger(), nullable=True),
        sa.Column("points", MONEY, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_loyalty_redemptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_loyalty_redemptions_booking_id_bookings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_loyalty_redemptions_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_redemptions")),
    )
    op.create_index(
        "ix_loyalty_redemptions_user_id_created_at",
        "loyalty_redemptions",
        ["user_id", "created_at"],
    )
    op.create_index(
        "ix_loyalty_redemptions_state_booking_id",
        "loyalty_redemptions",
        ["state", "booking_id"],
    )
    # At most one active (HELD) redemption per booking, kept by the database.
    op.create_index(
        "ix_loyalty_redemptions_held_booking",
        "loyalty_redemptions",
        ["booking_id"],
        unique=True,
        postgresql_where=sa.text("state = 'HELD'"),
        sqlite_where=sa.text("state = 'HELD'"),
    )
    with op.batch_alter_table("loyalty_transactions") as batch:
        batch.add_column(sa.Column("redemption_id", sa.BigInteger(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_loyalty_transactions_redemption_id_loyalty_redemptions"),
            "loyalty_redemptions",
            ["redemption_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_unique_constraint(
            "uq_loyalty_transactions_redemption_kind", ["redemption_id", "kind"]
        )


def downgrade() -> None:
    with op.batch_alter_table("loyalty_transactions") as batch:
        batch.drop_constraint("uq_loyalty_transactions_redemption_kind", type_="unique")
        batch.drop_constraint(
            op.f("fk_loyalty_transactions_redemption_id_loyalty_redemptions"), type_="foreignkey"
        )
        batch.drop_column("redemption_id")
    op.drop_index("ix_loyalty_redemptions_held_booking", table_name="loyalty_redemptions")
    op.drop_index("ix_loyalty_redemptions_state_booking_id", table_name="loyalty_redemptions")
    op.drop_index("ix_loyalty_redemptions_user_id_created_at", table_name="loyalty_redemptions")
    op.drop_table("loyalty_redemptions")
