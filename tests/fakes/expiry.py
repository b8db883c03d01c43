"""In-memory points expiry records and reminders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from src.application.errors import ConcurrentUpdate
from src.domain.loyalty import LedgerEntry
from tests.fakes.store import Store


class FakeExpiry:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def candidate_users(
        self, credited_before: datetime, after_user_id: int, limit: int
    ) -> list[int]:
        users = {
            e.user_id
            for e in self.s.entries
            if e.user_id > after_user_id
            and e.amount > 0
            and e.kind.value in ("ACCRUAL", "ADJUSTMENT")
            and e.created_at <= credited_before
            and e.id not in self.s.lot_expiries
        }
        return sorted(users)[:limit]

    async def ledger(self, user_id: int) -> list[LedgerEntry]:
        return sorted((e for e in self.s.entries if e.user_id == user_id), key=lambda e: e.id or 0)

    async def expired_lots(self, user_id: int) -> dict[int, int]:
        return {entry: lot for lot, (entry, uid) in self.s.lot_expiries.items() if uid == user_id}

    async def record_expiry(
        self, lot_entry_id: int, entry_id: int, user_id: int, points: Decimal, at: datetime
    ) -> None:
        if lot_entry_id in self.s.lot_expiries:
            raise ConcurrentUpdate(f"lot {lot_entry_id} expired twice")
        self.s.lot_expiries[lot_entry_id] = (entry_id, user_id)

    async def reminded_lots(self, user_id: int) -> set[int]:
        return {lot for lot, uid in self.s.lot_reminders.items() if uid == user_id}

    async def record_reminder(
        self, lot_entry_id: int, user_id: int, expires_at: datetime, at: datetime
    ) -> bool:
        if lot_entry_id in self.s.lot_reminders:
            return False
        self.s.lot_reminders[lot_entry_id] = user_id
        return True


class FakeExpiryReminders:
    def __init__(self) -> None:
        self.sent: list[tuple[int, Decimal, datetime]] = []
        self.emails: list[str | None] = []  # the address of each reminder in `sent`

    async def points_expiring(
        self, user_id: int, points: Decimal, expires_at: datetime, *, email: str | None
    ) -> None:
        self.sent.append((user_id, points, expires_at))
        self.emails.append(email)
