"""users.unique_code: add the column, give every existing user a distinct code, index it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import secrets
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 1000

# The code format at the time of this migration, copied (not imported) so that changing the
# domain never changes what this migration does: 8 characters, upper-case Latin letters and
# digits without look-alikes (no 0/O, 1/I/L).
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def generate_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


users = sa.table("users", sa.column("id", sa.BigInteger()), sa.column("unique_code", sa.String(8)))


def upgrade() -> None:
    op.add_column("users", sa.Column("unique_code", sa.String(length=8), nullable=True))
    if context.is_offline_mode():
        # An SQL script cannot draw codes: run `generate-unique-codes` after applying it.
        op.execute("-- users.unique_code: run generate-unique-codes to fill existing users")
    else:
        fill_codes(op.get_bind())
    op.create_index("ix_users_unique_code", "users", ["unique_code"], unique=True)


def fill_codes(conn: sa.Connection) -> int:
    """Give every user without a code a distinct one, a batch at a time; returns the count."""
    filled = 0
    while True:
        ids = conn.execute(
            sa.select(users.c.id)
            .where(users.c.unique_code.is_(None))
            .order_by(users.c.id)
            .limit(BATCH)
        ).scalars().all()
        if not ids:
            return filled
        codes = _distinct_codes(conn, len(ids))
        conn.execute(
            sa.update(users).where(users.c.id == sa.bindparam("user_id")),
            [{"user_id": uid, "unique_code": code} for uid, code in zip(ids, codes, strict=True)],
        )
        filled += len(ids)


def _distinct_codes(conn: sa.Connection, count: int) -> list[str]:
    """`count` new codes, distinct among themselves and from every code already stored."""
    codes: set[str] = set()
    while len(codes) < count:
        candidates = {generate_code() for _ in range(count - len(codes))} - codes
        taken = conn.execute(
            sa.select(users.c.unique_code).where(users.c.unique_code.in_(candidates))
        ).scalars()
        codes |= candidates - set(taken)
    return list(codes)


def downgrade() -> None:
    op.drop_index("ix_users_unique_code", table_name="users")
    # Plain DROP COLUMN (SQLite >= 3.35 has it): batch mode would recreate the table and
    # lose the lower(email) expression index, which SQLite reflection cannot see.
    op.drop_column("users", "unique_code")
