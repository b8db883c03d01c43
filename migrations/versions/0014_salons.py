"""salons: the YClients companies kept in step, as rows (issue 22), each with its own
webhook secret (stored as a SHA-256 digest); sync_runs.retry_of: the lost run a run finishes.

The salons named by YCLIENTS_COMPANY_IDS are created when the service starts, not here
(a migration imports nothing from `src` and reads no settings).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "salons",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                  sa.Identity(always=False, start=1), nullable=False),
        sa.Column("company_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("region", sa.String(2), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("secret_digest", sa.String(64), nullable=False),
        sa.Column("accepts_shared_secret", sa.Boolean(), server_default=sa.text("false"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_salons")),
        sa.UniqueConstraint("company_id", name=op.f("uq_salons_company_id")),
    )  # fmt: skip
    op.add_column("sync_runs", sa.Column("retry_of", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_runs") as batch:
        batch.drop_column("retry_of")
    op.drop_table("salons")
