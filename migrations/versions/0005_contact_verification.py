"""users.email_verified_at / phone_verified_at: only verified contacts link bookings.

Existing contacts start unverified (`just trust-contacts` marks them verified for salons
whose previous system verified them). One member at a time may hold a verified email
(lower-cased) or phone (its last 10 digits): partial unique indexes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode): batch mode would recreate the SQLite table and lose
    # the lower(email) expression index, which SQLite reflection cannot see.
    op.add_column("users", sa.Column("email_verified_at", sa.DateTime(timezone=True)))
    op.add_column("users", sa.Column("phone_verified_at", sa.DateTime(timezone=True)))
    op.create_index(
        "ix_users_verified_phone_key",
        "users",
        ["phone_key"],
        unique=True,
        postgresql_where=sa.text("phone_verified_at IS NOT NULL"),
        sqlite_where=sa.text("phone_verified_at IS NOT NULL"),
    )
    op.create_index(
        "ix_users_verified_email_lower",
        "users",
        [sa.text("lower(email)")],
        unique=True,
        postgresql_where=sa.text("email_verified_at IS NOT NULL"),
        sqlite_where=sa.text("email_verified_at IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_users_verified_email_lower", table_name="users")
    op.drop_index("ix_users_verified_phone_key", table_name="users")
    op.drop_column("users", "phone_verified_at")
    op.drop_column("users", "email_verified_at")
