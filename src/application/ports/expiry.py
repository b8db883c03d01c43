"""Points expiry ports: its reads, its exactly-once records and the reminders."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Protocol

from src.domain.loyalty import LedgerEntry


class ExpiryRepository(Protocol):
    """Points expiry's reads and its exactly-once records (one per expired / reminded lot)."""

    async def candidate_users(
        self, credited_before: datetime, after_user_id: int, limit: int
    ) -> list[int]:
        """Members (ids above `after_user_id`, ascending, at most `limit`) holding a credit
        made at or before `credited_before` that has not expired. A superset is fine."""
        ...

    async def ledger(self, user_id: int) -> list[LedgerEntry]:
        """All of the member's entries, in id order."""
        ...

    async def expired_lots(self, user_id: int) -> dict[int, int]:
        """EXPIRY entry id → the lot (credit entry id) it expired."""
        ...

    async def record_expiry(
        self, lot_entry_id: int, entry_id: int, user_id: int, points: Decimal, at: datetime
    ) -> None:
        """Raises `ConcurrentUpdate` if the lot has already expired (unique per lot)."""
        ...

    async def reminded_lots(self, user_id: int) -> set[int]: ...

    async def record_reminder(
        self, lot_entry_id: int, user_id: int, expires_at: datetime, at: datetime
    ) -> bool:
        """True if this call recorded the lot's reminder, False if it already was."""
        ...


class ExpiryReminders(Protocol):
    """Tells a member that points are about to expire."""

    async def points_expiring(
        self, user_id: int, points: Decimal, expires_at: datetime, *, email: str | None
    ) -> None:
        """Sends the reminder to `email`; None: the member may not be written to (an
        unverified address: `ExpirePoints` decides), only the operators' record is kept."""
        ...
