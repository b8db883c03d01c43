"""The bookings port: YClients records as stored, linked to members."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from src.application.ports.paging import Page
from src.domain.booking import Booking, BookingKey, BookingStatus, MatchMethod


@dataclass(frozen=True, slots=True)
class BookingQuery:
    user_id: int | None = None
    statuses: frozenset[BookingStatus] | None = None
    starts_from: datetime | None = None  # appointment_at >= this; ordered nearest first
    unmatched_only: bool = False
    limit: int = 20
    offset: int = 0


class BookingRepository(Protocol):
    async def get(self, booking_id: int) -> Booking | None: ...

    async def get_by_ids(self, booking_ids: Collection[int]) -> dict[int, Booking]:
        """The bookings among `booking_ids`, by id (missing ids left out), one query."""
        ...

    async def get_many(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        """The stored bookings among `keys`, one query."""
        ...

    async def get_versions(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        """`get_many` without what is only shown to people (services, staff and client
        name are left empty): enough to compare versions, link and decide awards, cheaper to
        read. Never write such a booking back as it is."""
        ...

    async def upsert_and_lock(
        self, bookings: Sequence[Booking], want: Collection[BookingKey] | None = None
    ) -> dict[BookingKey, Booking]:
        """Insert or update in one statement, keyed by (company_id, record_id); returns the
        rows of `want` (default: every key) as stored after the write, locked until commit.

        A stored row is overwritten only by a fresher version (`Booking.freshness` is NEWER)
        or, at the same version, when it is still unlinked, so a racing older write changes
        nothing. The link (user_id, match_method) is taken only while the stored row has none;
        loyalty columns (bonus_*, ledger_step) are never written here. Rows written come back
        from the write itself; a key whose stored row was fresher is read with FOR UPDATE (a
        second statement, only then)."""
        ...

    async def lock_many(self, ids: Collection[int]) -> list[Booking]:
        """Current rows, locked until commit (SELECT ... FOR UPDATE), ordered by id."""
        ...

    async def save_loyalty(self, bookings: Sequence[Booking]) -> None:
        """Write bonus_points / bonus_percent / bonus_basis / ledger_step of locked rows."""
        ...

    async def relink(self, booking_id: int, user_id: int, method: MatchMethod) -> None:
        """Link (or relink) a booking to a user whatever it was linked to: an admin action."""
        ...

    async def mark_deleted(self, key: BookingKey, at: datetime) -> int | None:
        """Cancel a booking YClients deleted at `at`; returns its id, None if we never had
        it or the stored version is newer than `at` (an old delete replayed changes nothing;
        `DELETE_CLOCK_SKEW` of tolerance for clocks and rounding)."""
        ...

    async def query(self, q: BookingQuery) -> Page[Booking]: ...

    async def lock_unmatched_by_contact(
        self, email: str | None, phone_key: str | None
    ) -> list[Booking]:
        """Every unlinked booking whose client email (lower-cased) or phone (its
        key) is one of these, whatever its date, locked until commit, in id order. A
        superset is fine: the caller resolves each again."""
        ...

    async def points_candidates(self, after_id: int, limit: int) -> list[int]:
        """Ids above `after_id` (ascending, at most `limit`) of linked bookings whose points
        may differ from their entitlement. A superset is fine: the award decides."""
        ...
