"""verification_codes: digests of the codes that verify an email or phone or reset a
password (purpose, member, contact, expiry, wrong tries, when used).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "verification_codes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.Identity(always=False, start=1), nullable=False),
        sa.Column("purpose", sa.String(16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("contact", sa.String(320), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_verification_codes_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verification_codes")),
    )  # fmt: skip
    op.create_index(
        "ix_verification_codes_user_id_purpose_id",
        "verification_codes",
        ["user_id", "purpose", "id"],
    )
    op.create_index(
        "ix_verification_codes_contact_created_at",
        "verification_codes",
        ["contact", "created_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_verification_codes_contact_created_at", table_name="verification_codes")
    op.drop_index("ix_verification_codes_user_id_purpose_id", table_name="verification_codes")
    op.drop_table("verification_codes")
