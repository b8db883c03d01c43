"""In-memory bookings (`BookingRepository`)."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from src.application.errors import WriteRejected
from src.application.ports.bookings import BookingQuery
from src.application.ports.paging import Page
from src.domain.booking import DELETE_CLOCK_SKEW, Booking, BookingKey, BookingStatus, MatchMethod
from src.domain.contacts import normalize_email, phone_key
from src.domain.versions import supersedes
from tests.fakes.store import Store, page_of


class FakeBookings:
    def __init__(self, store: Store) -> None:
        self.s = store

    def _by_key(self, key: BookingKey) -> Booking | None:
        return next((b for b in self.s.bookings.values() if b.key == key), None)

    async def get(self, booking_id: int) -> Booking | None:
        b = self.s.bookings.get(booking_id)
        return b.copy() if b else None

    async def get_by_ids(self, booking_ids: Collection[int]) -> dict[int, Booking]:
        found = {i: self.s.bookings.get(i) for i in set(booking_ids)}
        return {i: b.copy() for i, b in found.items() if b is not None}

    async def get_many(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        wanted = set(keys)
        return {b.key: b.copy() for b in self.s.bookings.values() if b.key in wanted}

    async def get_versions(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        wanted = set(keys)
        found = {b.key: b.copy() for b in self.s.bookings.values() if b.key in wanted}
        for b in found.values():  # what the SQL repository leaves out
            b.services, b.staff_name, b.client_name = (), None, None
        return found

    async def upsert_and_lock(
        self, bookings: Sequence[Booking], want: Collection[BookingKey] | None = None
    ) -> dict[BookingKey, Booking]:
        ids = self._upsert(bookings)
        return {
            key: self.s.bookings[i].copy() for key, i in ids.items() if want is None or key in want
        }

    def _upsert(self, bookings: Sequence[Booking]) -> dict[BookingKey, int]:
        if any(tuple(b.key) in self.s.refuse for b in bookings):
            raise WriteRejected("the database refused the write: a value was refused (test)")
        ids: dict[BookingKey, int] = {}
        for incoming in bookings:
            stored = self._by_key(incoming.key)
            if stored is None:
                new = replace(
                    incoming, id=self.s.next_id(), bonus_points=Decimal("0.00"),
                    bonus_percent=None, bonus_basis=Decimal("0.00"), ledger_step=0,
                )  # fmt: skip
                self.s.bookings[new.id] = new
                ids[new.key] = new.id  # type: ignore[assignment]
                continue
            assert stored.id is not None
            ids[stored.key] = stored.id
            # The version-order rule; a same-time version may still link an unlinked row.
            fresher = supersedes(incoming, stored) or (
                incoming.last_change_at == stored.last_change_at and stored.user_id is None
            )
            if not fresher:
                continue
            for name in _DATA_FIELDS:
                setattr(stored, name, getattr(incoming, name))
            if stored.user_id is None:
                stored.user_id = incoming.user_id
                stored.match_method = incoming.match_method
                stored.unmatched_reason = incoming.unmatched_reason
        return ids

    async def lock_many(self, ids: Collection[int]) -> list[Booking]:
        return [self.s.bookings[i].copy() for i in sorted(set(ids)) if i in self.s.bookings]

    async def save_loyalty(self, bookings: Sequence[Booking]) -> None:
        for b in bookings:
            stored = self.s.bookings[b.id]  # type: ignore[index]
            stored.bonus_points = b.bonus_points
            stored.bonus_percent = b.bonus_percent
            stored.bonus_basis = b.bonus_basis
            stored.ledger_step = b.ledger_step

    async def relink(self, booking_id: int, user_id: int, method: MatchMethod) -> None:
        b = self.s.bookings[booking_id]
        b.user_id, b.match_method, b.unmatched_reason = user_id, method, None

    async def mark_deleted(self, key: BookingKey, at: datetime) -> int | None:
        b = self._by_key(key)
        if b is None or b.last_change_at > at + DELETE_CLOCK_SKEW:
            return None
        b.deleted, b.status = True, BookingStatus.CANCELLED
        b.last_change_at = max(b.last_change_at, at)
        return b.id

    async def query(self, q: BookingQuery) -> Page[Booking]:
        rows = [
            b for b in self.s.bookings.values()
            if (q.user_id is None or b.user_id == q.user_id)
            and (q.statuses is None or b.status in q.statuses)
            and (q.starts_from is None or b.appointment_at >= q.starts_from)
            and (not q.unmatched_only or b.user_id is None)
        ]  # fmt: skip
        if q.starts_from is not None:
            rows.sort(key=lambda b: (b.appointment_at, b.id))
        else:
            rows.sort(key=lambda b: (b.appointment_at, b.id), reverse=True)
        return page_of([b.copy() for b in rows], q.limit, q.offset)

    async def lock_unmatched_by_contact(
        self, email: str | None, phone_key_: str | None
    ) -> list[Booking]:
        return [
            copy.deepcopy(b)
            for b in sorted(self.s.bookings.values(), key=lambda b: b.id or 0)
            if b.user_id is None
            and (
                (email is not None and normalize_email(b.client_email) == email)
                or (phone_key_ is not None and phone_key(b.client_phone) == phone_key_)
            )
        ]

    async def points_candidates(self, after_id: int, limit: int) -> list[int]:
        ids = sorted(
            i for i, b in self.s.bookings.items() if i > after_id and b.user_id is not None
        )  # every linked booking: a superset, as the port allows
        return ids[:limit]


_DATA_FIELDS = (
    "status", "appointment_at", "last_change_at", "price", "services", "staff_name",
    "client_name", "client_phone", "client_email", "comment", "deleted",
)  # fmt: skip
