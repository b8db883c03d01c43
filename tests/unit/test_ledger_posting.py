"""`LoyaltyAccount.post`: the one way a balance moves. Sign per kind, whole cents, no
overdraft by spending, nothing beyond the column; the balance stays the sum of the entries."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from src.domain.loyalty import (
    MAX_POINTS,
    NO_OVERDRAFT_KINDS,
    EntryKind,
    LoyaltyAccount,
    PostingRefused,
)

D = Decimal
T = datetime(2026, 11, 20, tzinfo=UTC)


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
