from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from src.domain.booking import Booking, BookingStatus
from src.domain.loyalty import (
    DEFAULT_LEVELS,
    EntryKind,
    LoyaltyAccount,
    apply_award,
    level_for,
    next_level,
    points_for,
    reconcile,
)

D = Decimal
T = datetime(2026, 11, 20, tzinfo=UTC)


def booking(status: BookingStatus, price: str = "2500.00", user_id: int | None = 1) -> Booking:
    return Booking(1, 1, status, T, T, price=D(price), id=1, user_id=user_id)


@pytest.mark.parametrize(
    ("price", "percent", "points"),
    [
        ("2500.00", "3", "75.00"),
        ("1999.99", "5", "100.00"),  # 99.9995 → half up
        ("10.10", "7", "0.71"),  # 0.707
        ("0.10", "5", "0.01"),  # 0.005 → half up
        ("0.00", "7", "0.00"),
    ],
)
def test_points_formula_is_decimal_and_rounds_half_up(
    price: str, percent: str, points: str
) -> None:
    result = points_for(D(price), D(percent))
    assert isinstance(result, Decimal)
    assert result == D(points)
    assert result.as_tuple().exponent == -2


def test_levels_by_threshold() -> None:
    assert level_for(D("0"), DEFAULT_LEVELS).name == "Bronze"
    assert level_for(D("29999.99"), DEFAULT_LEVELS).name == "Bronze"
    assert level_for(D("30000"), DEFAULT_LEVELS).name == "Silver"
    assert level_for(D("100000"), DEFAULT_LEVELS).name == "Gold"
    assert next_level(D("30000"), DEFAULT_LEVELS).name == "Gold"  # type: ignore[union-attr]
    assert next_level(D("100000"), DEFAULT_LEVELS) is None


def test_completed_linked_booking_accrues_at_current_level() -> None:
    b = booking(BookingStatus.COMPLETED)
    acc = LoyaltyAccount(1, completed_spend=D("30000"))
    award = reconcile(b, acc, DEFAULT_LEVELS, loyalty_enabled=True)
    assert award is not None
    assert (award.kind, award.amount, award.percent) == (EntryKind.ACCRUAL, D("125.00"), D("5"))


@pytest.mark.parametrize("status", [BookingStatus.PENDING, BookingStatus.CONFIRMED])
def test_not_completed_earns_nothing(status: BookingStatus) -> None:
    assert reconcile(booking(status), LoyaltyAccount(1), DEFAULT_LEVELS, True) is None


def test_unlinked_or_loyalty_off_earns_nothing() -> None:
    assert (
        reconcile(
            booking(BookingStatus.COMPLETED, user_id=None), LoyaltyAccount(1), DEFAULT_LEVELS, True
        )
        is None
    )
    assert (
        reconcile(booking(BookingStatus.COMPLETED), LoyaltyAccount(1), DEFAULT_LEVELS, False)
        is None
    )


def test_own_price_counts_toward_level_only_after_its_award() -> None:
    # 29,000 spent; a 2,000 visit is paid at Bronze and then lifts the member to Silver.
    acc = LoyaltyAccount(1, completed_spend=D("29000"))
    b = booking(BookingStatus.COMPLETED, price="2000.00")
    award = reconcile(b, acc, DEFAULT_LEVELS, True)
    assert award is not None and award.percent == D("3") and award.amount == D("60.00")
    apply_award(b, acc, award, T)
    assert acc.completed_spend == D("31000")
    assert level_for(acc.completed_spend, DEFAULT_LEVELS).name == "Silver"


@pytest.mark.parametrize("status", [BookingStatus.CANCELLED, BookingStatus.NO_SHOW])
def test_cancel_after_completion_reverses_with_frozen_percent(status: BookingStatus) -> None:
    acc = LoyaltyAccount(1)
    b = booking(BookingStatus.COMPLETED)
    apply_award(b, acc, reconcile(b, acc, DEFAULT_LEVELS, True), T)  # type: ignore[arg-type]
    acc.completed_spend = D("200000")  # the member climbed to Gold meanwhile
    b.status = status
    award = reconcile(b, acc, DEFAULT_LEVELS, True)
    assert award is not None
    assert (award.kind, award.amount, award.percent) == (EntryKind.REVERSAL, D("-75.00"), D("3"))
    apply_award(b, acc, award, T)
    assert b.bonus_points == 0 and not b.loyalty_bonuses_awarded and b.ledger_step == 2
    assert reconcile(b, acc, DEFAULT_LEVELS, True) is None


def test_uncompleting_keeps_points() -> None:
    acc = LoyaltyAccount(1)
    b = booking(BookingStatus.COMPLETED)
    apply_award(b, acc, reconcile(b, acc, DEFAULT_LEVELS, True), T)  # type: ignore[arg-type]
    b.status = BookingStatus.CONFIRMED
    assert reconcile(b, acc, DEFAULT_LEVELS, True) is None
    assert b.loyalty_bonuses_awarded


def test_price_change_after_completion_adjusts_at_frozen_percent() -> None:
    acc = LoyaltyAccount(1)
    b = booking(BookingStatus.COMPLETED, price="1000.00")
    apply_award(b, acc, reconcile(b, acc, DEFAULT_LEVELS, True), T)  # type: ignore[arg-type]
    acc.completed_spend += D("100000")
    b.price = D("2000.00")
    award = reconcile(b, acc, DEFAULT_LEVELS, True)
    assert award is not None and award.amount == D("30.00") and award.percent == D("3")
