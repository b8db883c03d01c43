"""bookings.client_phone_key (the last 10 digits of client_phone) and partial indexes over
unmatched bookings by client phone key and by lower(client_email) (emails now stored
trimmed): a member who
verifies a contact finds every booking made with it through an index, not a scan of every
unmatched booking.

Existing bookings get their key here: SQL on PostgreSQL, in batches in Python on SQLite
(which has no regexp_replace). The digits rule is frozen here, as migrations import nothing
from `src`.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_DIGITS = re.compile("[^0-9]+")
_BATCH = 5_000


def _phone_key(phone: str | None) -> str | None:
    digits = _NOT_DIGITS.sub("", phone or "")
    return digits[-10:] if len(digits) >= 10 else None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode): batch mode would recreate the SQLite table and lose
    # its expression indexes, which SQLite reflection cannot see.
    op.add_column("bookings", sa.Column("client_phone_key", sa.String(10), nullable=True))
    bind = op.get_bind()
    # Emails are stored trimmed from now on (the mapping trims them): so are older ones.
    op.execute(
        "UPDATE bookings SET client_email = trim(client_email) "
        "WHERE client_email <> trim(client_email)"
    )
    if bind.dialect.name == "postgresql":
        op.execute(
            "UPDATE bookings SET client_phone_key = right(regexp_replace(client_phone, "
            "'[^0-9]+', '', 'g'), 10) WHERE length(regexp_replace(client_phone, '[^0-9]+', "
            "'', 'g')) >= 10"
        )
    else:
        last = 0
        while True:
            rows = bind.execute(
                sa.text(
                    "SELECT id, client_phone FROM bookings WHERE id > :last "
                    "AND client_phone IS NOT NULL ORDER BY id LIMIT :n"
                ),
                {"last": last, "n": _BATCH},
            ).all()
            if not rows:
                break
            keys = [{"i": i, "k": _phone_key(p)} for i, p in rows]
            updates = [u for u in keys if u["k"]]
            if updates:
                bind.execute(
                    sa.text("UPDATE bookings SET client_phone_key = :k WHERE id = :i"), updates
                )
            last = rows[-1][0]
    op.create_index(
        "ix_bookings_unmatched_phone_key",
        "bookings",
        ["client_phone_key"],
        postgresql_where=sa.text("user_id IS NULL"),
        sqlite_where=sa.text("user_id IS NULL"),
    )
    op.create_index(
        "ix_bookings_unmatched_email",
        "bookings",
        [sa.text("lower(client_email)")],
        postgresql_where=sa.text("user_id IS NULL"),
        sqlite_where=sa.text("user_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_bookings_unmatched_email", table_name="bookings")
    op.drop_index("ix_bookings_unmatched_phone_key", table_name="bookings")
    op.drop_column("bookings", "client_phone_key")
