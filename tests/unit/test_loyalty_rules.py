from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from src.domain.booking import Booking, BookingStatus
from src.domain.loyalty import (
    DEFAULT_LEVELS,
    MAX_POINTS,
    NO_OVERDRAFT_KINDS,
    EntryKind,
    LoyaltyAccount,
    PostingRefused,
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


# `LoyaltyAccount.post`: the one way a balance moves. Sign per kind, whole cents, no
# overdraft by spending, nothing beyond the column; the balance stays the sum of the entries.
def test_post_moves_the_balance_and_returns_the_entry() -> None:
    account = LoyaltyAccount(7, balance=D("10.00"))
    entry = account.post(EntryKind.ACCRUAL, D("75.00"), "visit", T, booking_id=3, step=1)
    assert account.balance == D("85.00")
    assert (entry.user_id, entry.kind, entry.amount, entry.booking_id, entry.step) == (
        7, EntryKind.ACCRUAL, D("75.00"), 3, 1,
    )  # fmt: skip
    assert entry.id is None  # stored later, by the application


@pytest.mark.parametrize(
    ("kind", "amount"),
    [
        (EntryKind.ACCRUAL, "-1.00"),
        (EntryKind.RELEASE, "-1.00"),
        (EntryKind.REVERSAL, "1.00"),
        (EntryKind.HOLD, "1.00"),
        (EntryKind.REDEMPTION, "1.00"),
        (EntryKind.EXPIRY, "1.00"),
        (EntryKind.ADJUSTMENT, "0.00"),
        (EntryKind.ADJUSTMENT, "0.001"),
    ],
)
def test_wrong_sign_zero_or_sub_cent_is_refused(kind: EntryKind, amount: str) -> None:
    account = LoyaltyAccount(1, balance=D("100.00"))
    with pytest.raises(PostingRefused):
        account.post(kind, D(amount), "x", T)
    assert account.balance == D("100.00")


@pytest.mark.parametrize("kind", [EntryKind.HOLD, EntryKind.REDEMPTION, EntryKind.ADJUSTMENT])
def test_spending_never_overdraws(kind: EntryKind) -> None:
    account = LoyaltyAccount(1, balance=D("50.00"))
    with pytest.raises(PostingRefused, match="overdraws"):
        account.post(kind, D("-50.01"), "x", T)
    account.post(kind, D("-50.00"), "x", T)
    assert account.balance == D("0.00")


@pytest.mark.parametrize("kind", [EntryKind.REVERSAL, EntryKind.EXPIRY])
def test_taking_back_points_already_spent_may_go_below_zero(kind: EntryKind) -> None:
    account = LoyaltyAccount(1, balance=D("10.00"))
    account.post(kind, D("-75.00"), "x", T)
    assert account.balance == D("-65.00")


def test_nothing_beyond_the_column() -> None:
    account = LoyaltyAccount(1, balance=MAX_POINTS - D("1.00"))
    with pytest.raises(PostingRefused, match="exceed"):
        account.post(EntryKind.ACCRUAL, D("1.01"), "x", T)
    account.post(EntryKind.ACCRUAL, D("1.00"), "x", T)
    assert account.balance == MAX_POINTS


amounts = st.decimals(
    min_value=D("-5000"), max_value=D("5000"), places=2, allow_nan=False, allow_infinity=False
)


@given(st.lists(st.tuples(st.sampled_from(list(EntryKind)), amounts), max_size=40))
def test_the_balance_is_always_the_sum_of_what_was_posted(
    steps: list[tuple[EntryKind, Decimal]],
) -> None:
    account = LoyaltyAccount(1)
    posted = []
    for kind, amount in steps:
        before = account.balance
        try:
            posted.append(account.post(kind, amount, "x", T))
        except PostingRefused:
            assert account.balance == before  # a refused entry changes nothing
            continue
        entry = posted[-1]
        assert entry.amount == amount and entry.kind is kind
        if kind in NO_OVERDRAFT_KINDS and amount < 0:
            assert account.balance >= 0
        assert abs(account.balance) <= MAX_POINTS
    assert account.balance == sum((e.amount for e in posted), D("0.00"))
