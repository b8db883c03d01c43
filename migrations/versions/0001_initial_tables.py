"""Initial tables (users without unique_code), loyalty levels seeded with the defaults.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The levels seeded at the time of this migration (name, minimum completed spend, cashback %).
# A frozen copy: changing the domain's defaults must not change what this migration does.
DEFAULT_LEVELS = (
    ("Bronze", Decimal("0"), Decimal("3")),
    ("Silver", Decimal("30000"), Decimal("5")),
    ("Gold", Decimal("100000"), Decimal("7")),
)

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # INTEGER PRIMARY KEY autoincrements
UTC_TIME = sa.DateTime(timezone=True)
MONEY = sa.Numeric(precision=12, scale=2)
PERCENT = sa.Numeric(precision=5, scale=2)
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _id() -> sa.Column:
    return sa.Column("id", ID, sa.Identity(always=False, start=1), nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), server_default="user", nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("phone_key", sa.String(length=10), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_index(
        "ix_users_email_lower", "users", [sa.literal_column("lower(email)")], unique=True
    )
    op.create_index("ix_users_phone_key", "users", ["phone_key"], unique=False)

    op.create_table(
        "bookings",
        _id(),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("yclients_record_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("match_method", sa.String(length=16), nullable=True),
        sa.Column("unmatched_reason", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("appointment_at", UTC_TIME, nullable=False),
        sa.Column("last_change_at", UTC_TIME, nullable=False),
        sa.Column("price", MONEY, server_default="0", nullable=False),
        sa.Column("services", JSON_DOC, nullable=False),
        sa.Column("staff_name", sa.String(length=255), nullable=True),
        sa.Column("client_name", sa.String(length=255), nullable=True),
        sa.Column("client_phone", sa.String(length=64), nullable=True),
        sa.Column("client_email", sa.String(length=320), nullable=True),
        sa.Column("comment", sa.Text(), server_default="", nullable=False),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("bonus_points", MONEY, server_default="0", nullable=False),
        sa.Column("bonus_percent", PERCENT, nullable=True),
        sa.Column("bonus_basis", MONEY, server_default="0", nullable=False),
        sa.Column("ledger_step", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "loyalty_bonuses_awarded", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_bookings_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
        sa.UniqueConstraint("company_id", "yclients_record_id", name="uq_bookings_record"),
    )
    op.create_index(
        "ix_bookings_user_id_appointment_at", "bookings", ["user_id", "appointment_at"]
    )
    op.create_index(
        "ix_bookings_unmatched",
        "bookings",
        ["appointment_at"],
        postgresql_where=sa.text("user_id IS NULL"),
        sqlite_where=sa.text("user_id IS NULL"),
    )

    levels = op.create_table(
        "loyalty_levels",
        _id(),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("min_spend", MONEY, nullable=False),
        sa.Column("cashback_percent", PERCENT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_levels")),
        sa.UniqueConstraint("name", name=op.f("uq_loyalty_levels_name")),
    )
    op.bulk_insert(
        levels,
        [
            {"name": name, "min_spend": spend, "cashback_percent": percent}
            for name, spend, percent in DEFAULT_LEVELS
        ],
    )

    op.create_table(
        "loyalty_accounts",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("balance", MONEY, server_default="0", nullable=False),
        sa.Column("completed_spend", MONEY, server_default="0", nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_loyalty_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_loyalty_accounts")),
    )

    op.create_table(
        "loyalty_transactions",
        _id(),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("booking_id", sa.BigInteger(), nullable=True),
        sa.Column("step", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("percent", PERCENT, nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_loyalty_transactions_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_loyalty_transactions_booking_id_bookings"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_loyalty_transactions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_transactions")),
        # Exactly once: a booking's ledger step can be written by one transaction only.
        sa.UniqueConstraint("booking_id", "step", name="uq_loyalty_transactions_booking_step"),
    )
    op.create_index(
        "ix_loyalty_transactions_user_id_created_at",
        "loyalty_transactions",
        ["user_id", "created_at"],
    )

    op.create_table(
        "webhook_events",
        _id(),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("resource", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.BigInteger(), nullable=False),
        sa.Column("event_status", sa.String(length=32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        sa.Column("received_at", UTC_TIME, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("processed_at", UTC_TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_events")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_webhook_events_dedupe_key")),
    )
    op.create_index(
        "ix_webhook_events_state_received_at", "webhook_events", ["state", "received_at"]
    )

    op.create_table(
        "sync_runs",
        _id(),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", UTC_TIME, nullable=False),
        sa.Column("finished_at", UTC_TIME, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("fetched", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("linked", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unmatched", sa.Integer(), server_default="0", nullable=False),
        sa.Column("points_awarded", MONEY, server_default="0", nullable=False),
        sa.Column("errors", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_runs")),
    )
    op.create_index(op.f("ix_sync_runs_company_id"), "sync_runs", ["company_id"])


def downgrade() -> None:
    op.drop_table("sync_runs")
    op.drop_table("webhook_events")
    op.drop_table("loyalty_transactions")
    op.drop_table("loyalty_accounts")
    op.drop_table("loyalty_levels")
    op.drop_table("bookings")
    op.drop_table("users")
