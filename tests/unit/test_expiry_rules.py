"""Expiry rules (pure): lots replayed from the ledger, first-expiring-first consumption, a
reversal taking its own booking's lot first, released holds given back, debt paid first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from src.domain.expiry import EPOCH, TtlHistory, due, expiring_within, replay
from src.domain.loyalty import EntryKind, LedgerEntry

D = Decimal
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TTL30 = TtlHistory(((EPOCH, 30),))


def e(id_: int, kind: EntryKind, amount: str, day: int = 0, **kw: object) -> LedgerEntry:
    return LedgerEntry(
        user_id=1,
        kind=kind,
        amount=D(amount),
        reason="r",
        created_at=T0 + timedelta(days=day),
        id=id_,
        **kw,  # type: ignore[arg-type]
    )


def test_spending_consumes_the_first_expiring_lot_first() -> None:
    book = replay(
        [
            e(1, EntryKind.ACCRUAL, "100", 0, booking_id=10),
            e(2, EntryKind.ACCRUAL, "50", 5, booking_id=11),
            e(3, EntryKind.REDEMPTION, "-120", 6, redemption_id=7),
        ],
        TTL30,
        {},
    )
    assert [(lot.entry_id, lot.remaining) for lot in book.lots] == [(1, D(0)), (2, D(30))]
    assert due(book, T0 + timedelta(days=30)) == []  # lot 1 is fully spent
    assert [lot.entry_id for lot in due(book, T0 + timedelta(days=35))] == [2]


def test_a_reversal_takes_back_its_own_booking_lot_first() -> None:
    book = replay(
        [
            e(1, EntryKind.ACCRUAL, "100", 0, booking_id=10),
            e(2, EntryKind.ACCRUAL, "50", 5, booking_id=11),
            e(3, EntryKind.REVERSAL, "-50", 6, booking_id=11),
        ],
        TTL30,
        {},
    )
    assert [lot.remaining for lot in book.lots] == [D(100), D(0)]


def test_partly_spent_lot_expires_its_remainder_once() -> None:
    entries = [
        e(1, EntryKind.ACCRUAL, "100", 0, booking_id=10),
        e(2, EntryKind.HOLD, "-40", 1, redemption_id=5),
    ]
    book = replay(entries, TTL30, {})
    [lot] = due(book, T0 + timedelta(days=31))
    assert lot.remaining == D(60)
    entries.append(e(3, EntryKind.EXPIRY, "-60", 31))
    assert due(replay(entries, TTL30, {3: 1}), T0 + timedelta(days=40)) == []


def test_released_hold_returns_to_its_lots() -> None:
    book = replay(
        [
            e(1, EntryKind.ACCRUAL, "100", 0),
            e(2, EntryKind.HOLD, "-40", 1, redemption_id=5),
            e(3, EntryKind.RELEASE, "40", 2, redemption_id=5),
        ],
        TTL30,
        {},
    )
    assert book.lots[0].remaining == D(100) and book.debt == D(0)


def test_debt_after_a_reversal_is_paid_by_the_next_lot() -> None:
    book = replay(
        [
            e(1, EntryKind.ACCRUAL, "100", 0, booking_id=10),
            e(2, EntryKind.REDEMPTION, "-100", 1, redemption_id=5),
            e(3, EntryKind.REVERSAL, "-100", 2, booking_id=10),  # balance -100
            e(4, EntryKind.ACCRUAL, "150", 3, booking_id=11),
        ],
        TTL30,
        {},
    )
    assert book.debt == D(0) and book.lots[1].remaining == D(50)


def test_ttl_change_applies_to_new_lots_only_and_zero_never_expires() -> None:
    history = TtlHistory().with_current(0, T0).with_current(10, T0 + timedelta(days=2))
    book = replay(
        [e(1, EntryKind.ACCRUAL, "100", 0), e(2, EntryKind.ADJUSTMENT, "20", 3)], history, {}
    )
    assert book.lots[0].expires_at is None
    assert book.lots[1].expires_at == T0 + timedelta(days=13)
    assert TtlHistory.load(history.dump()) == history
    assert [lot.entry_id for lot in expiring_within(book, T0 + timedelta(days=5), 30)] == [2]
