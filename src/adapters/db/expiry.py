"""ExpiryRepository on SQL: which members may have lots due, their ledger, expired and
reminded lots."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from src.adapters.db.executor import Executor
from src.adapters.db.ledger import entries, to_entry
from src.adapters.db.models import LotExpiryRow, LotReminderRow, table
from src.domain.expiry import CREDIT_KINDS
from src.domain.loyalty import LedgerEntry

expiries = table(LotExpiryRow)
reminders = table(LotReminderRow)
_CREDITS = sorted(k.value for k in CREDIT_KINDS)


class SqlExpiry:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def candidate_users(
        self, credited_before: datetime, after_user_id: int, limit: int
    ) -> list[int]:
        # Members with a credit old enough to be due that has not expired yet.
        stmt = (
            select(entries.c.user_id)
            .where(
                entries.c.user_id > after_user_id,
                entries.c.kind.in_(_CREDITS),
                entries.c.amount > 0,
                entries.c.created_at <= credited_before,
                entries.c.id.not_in(select(expiries.c.lot_entry_id)),
            )
            .group_by(entries.c.user_id)
            .order_by(entries.c.user_id)
            .limit(limit)
        )
        return list((await self.db.execute(stmt)).scalars())

    async def ledger(self, user_id: int) -> list[LedgerEntry]:
        stmt = select(entries).where(entries.c.user_id == user_id).order_by(entries.c.id)
        return [to_entry(row) for row in await self.db.execute(stmt)]

    async def expired_lots(self, user_id: int) -> dict[int, int]:
        stmt = select(expiries.c.entry_id, expiries.c.lot_entry_id).where(
            expiries.c.user_id == user_id
        )
        return {row.entry_id: row.lot_entry_id for row in await self.db.execute(stmt)}

    async def record_expiry(
        self, lot_entry_id: int, entry_id: int, user_id: int, points: Decimal, at: datetime
    ) -> None:
        # A lot expired by a concurrent run violates the primary key: ConcurrentUpdate.
        await self.db.execute(
            expiries.insert().values(
                lot_entry_id=lot_entry_id,
                entry_id=entry_id,
                user_id=user_id,
                points=points,
                expired_at=at,
            )
        )

    async def reminded_lots(self, user_id: int) -> set[int]:
        stmt = select(reminders.c.lot_entry_id).where(reminders.c.user_id == user_id)
        return set((await self.db.execute(stmt)).scalars())

    async def record_reminder(
        self, lot_entry_id: int, user_id: int, expires_at: datetime, at: datetime
    ) -> bool:
        insert = self.db.insert(reminders)
        stmt = (
            insert.values(
                lot_entry_id=lot_entry_id, user_id=user_id, expires_at=expires_at, sent_at=at
            )
            .on_conflict_do_nothing(index_elements=[reminders.c.lot_entry_id])
            .returning(reminders.c.lot_entry_id)
        )
        return (await self.db.execute(stmt)).first() is not None
