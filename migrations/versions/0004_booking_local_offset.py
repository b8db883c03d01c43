"""bookings.utc_offset_minutes: the salon's UTC offset of the appointment time, as YClients
sent it, so the API can show the salon's wall clock. Bookings stored before stay NULL (shown
in UTC) until their next version arrives.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.add_column(sa.Column("utc_offset_minutes", sa.SmallInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("utc_offset_minutes")
