"""Points expiry: lots, first-expiring-first consumption, and what is due to expire.

A lot is every positive ACCRUAL or ADJUSTMENT entry; it expires `ttl` days after it was
credited, where `ttl` is the `POINTS_TTL_DAYS` in force at that moment (a `TtlHistory`), so a
TTL change applies to new lots only, and 0 means the lot never expires. Lots are not stored:
they are replayed from the ledger, the single source of truth, in entry order:

- a negative entry (HOLD, REDEMPTION, negative ADJUSTMENT) consumes lots first-expiring-first;
- a REVERSAL takes back its own booking's lots first, then first-expiring-first;
- a RELEASE gives back to the lots its HOLD consumed;
- an EXPIRY consumes exactly the lot it expired (recorded with the lot's id);
- what no lot covers is debt (a negative balance), paid back first by the next lots.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from src.domain.loyalty import EntryKind, LedgerEntry
from src.domain.money import ZERO

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CREDIT_KINDS = frozenset({EntryKind.ACCRUAL, EntryKind.ADJUSTMENT})


@dataclass(frozen=True, slots=True)
class TtlHistory:
    """`POINTS_TTL_DAYS` over time: (since, days) pairs, oldest first."""

    changes: tuple[tuple[datetime, int], ...] = ((EPOCH, 0),)

    def days_at(self, moment: datetime) -> int:
        days = self.changes[0][1]
        for since, value in self.changes:
            if since <= moment:
                days = value
        return days

    def expires_at(self, credited_at: datetime) -> datetime | None:
        days = self.days_at(credited_at)
        return credited_at + timedelta(days=days) if days > 0 else None

    def with_current(self, days: int, now: datetime) -> TtlHistory:
        """This history with `days` in force from `now` (itself if already in force)."""
        if self.changes and self.changes[-1][1] == days:
            return self
        return TtlHistory((*self.changes, (now, days)))

    def dump(self) -> str:
        return ";".join(f"{since.isoformat()}={days}" for since, days in self.changes)

    @classmethod
    def load(cls, text: str | None) -> TtlHistory:
        if not text:
            return cls()
        pairs = []
        for part in text.split(";"):
            since, days = part.rsplit("=", 1)
            pairs.append((datetime.fromisoformat(since), int(days)))
        return cls(tuple(pairs))


@dataclass(slots=True)
class Lot:
    """One credit: `amount` points, of which `consumed` are spent, held or expired."""

    entry_id: int
    amount: Decimal
    credited_at: datetime
    expires_at: datetime | None
    booking_id: int | None = None
    consumed: Decimal = ZERO
    expired: bool = False

    @property
    def remaining(self) -> Decimal:
        return self.amount - self.consumed

    def order(self) -> tuple[bool, datetime, int]:
        # first-expiring-first; lots that never expire last; then oldest first
        return (self.expires_at is None, self.expires_at or EPOCH, self.entry_id)


@dataclass(slots=True)
class LotBook:
    """The lots of one member after replaying their ledger."""

    lots: list[Lot] = field(default_factory=list)
    debt: Decimal = ZERO

    def open_lots(self) -> list[Lot]:
        return sorted((lot for lot in self.lots if lot.remaining > ZERO), key=Lot.order)


def replay(entries: Iterable[LedgerEntry], ttl: TtlHistory, expired: Mapping[int, int]) -> LotBook:
    """The lots of one member. `entries` are theirs in any order (replayed by id);
    `expired` maps each EXPIRY entry's id to the lot (credit entry id) it expired."""
    book = LotBook()
    by_id: dict[int, Lot] = {}
    taken_by_hold: dict[int, list[tuple[Lot, Decimal]]] = {}
    for entry in sorted(entries, key=lambda e: e.id or 0):
        amount = entry.amount
        if entry.kind is EntryKind.EXPIRY and entry.id in expired:
            lot = by_id.get(expired[entry.id])  # type: ignore[index]
            if lot is not None:
                lot.consumed -= amount  # amount is negative
                lot.expired = True
            continue
        if amount > ZERO and entry.kind in CREDIT_KINDS:
            lot = Lot(
                entry_id=entry.id or 0,
                amount=amount,
                credited_at=entry.created_at,
                expires_at=ttl.expires_at(entry.created_at),
                booking_id=entry.booking_id,
            )
            paid = min(book.debt, amount)  # a negative balance is paid back first
            lot.consumed += paid
            book.debt -= paid
            book.lots.append(lot)
            by_id[lot.entry_id] = lot
            continue
        if amount > ZERO and entry.kind is EntryKind.RELEASE:
            for lot, part in taken_by_hold.pop(entry.redemption_id or -1, []):
                lot.consumed -= part
                amount -= part
            if amount > ZERO:  # more than the hold took from lots: it paid debt
                book.debt = max(ZERO, book.debt - amount)
            continue
        if amount < ZERO:
            own = entry.booking_id if entry.kind is EntryKind.REVERSAL else None
            parts = _consume(book, -amount, own)
            if entry.kind is EntryKind.HOLD and entry.redemption_id is not None:
                taken_by_hold[entry.redemption_id] = parts
    return book


def _consume(book: LotBook, points: Decimal, own_booking: int | None) -> list[tuple[Lot, Decimal]]:
    taken: list[tuple[Lot, Decimal]] = []
    lots = book.open_lots()
    if own_booking is not None:  # a reversal takes back its own booking's lots first
        lots.sort(key=lambda lot: lot.booking_id != own_booking)
    for lot in lots:
        if points <= ZERO:
            break
        part = min(points, lot.remaining)
        lot.consumed += part
        points -= part
        taken.append((lot, part))
    book.debt += points
    return taken


def due(book: LotBook, now: datetime) -> list[Lot]:
    """Lots whose time has come and that still hold unspent points, oldest first."""
    return [
        lot
        for lot in sorted(book.lots, key=Lot.order)
        if not lot.expired
        and lot.expires_at is not None
        and lot.expires_at <= now
        and lot.remaining > ZERO
    ]


def expiring_within(book: LotBook, now: datetime, days: int) -> list[Lot]:
    """Open lots expiring after `now` and within `days` days, first-expiring-first."""
    horizon = now + timedelta(days=days)
    return [
        lot
        for lot in book.open_lots()
        if not lot.expired and lot.expires_at is not None and now < lot.expires_at <= horizon
    ]
