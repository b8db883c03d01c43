"""Loyalty: levels, the points formula and the ledger rule that makes points exactly-once."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from src.domain.booking import Booking, BookingStatus
from src.domain.money import ZERO, quantize

HUNDRED = Decimal(100)
# Balances, spend and points live in NUMERIC(12, 2) columns: nothing may exceed this.
MAX_POINTS = Decimal("9999999999.99")


@dataclass(frozen=True, slots=True)
class LoyaltyLevel:
    """A level: reached at `min_spend` of completed visits, pays `cashback_percent`."""

    name: str
    min_spend: Decimal
    cashback_percent: Decimal


DEFAULT_LEVELS: tuple[LoyaltyLevel, ...] = (
    LoyaltyLevel("Bronze", Decimal("0"), Decimal("3")),
    LoyaltyLevel("Silver", Decimal("30000"), Decimal("5")),
    LoyaltyLevel("Gold", Decimal("100000"), Decimal("7")),
)


def _ordered(levels: Sequence[LoyaltyLevel]) -> list[LoyaltyLevel]:
    if not levels:
        raise ValueError("at least one loyalty level is required")
    return sorted(levels, key=lambda lv: lv.min_spend)


def level_for(spend: Decimal, levels: Sequence[LoyaltyLevel]) -> LoyaltyLevel:
    """The highest level whose threshold `spend` reaches (the lowest level otherwise)."""
    ordered = _ordered(levels)
    current = ordered[0]
    for level in ordered:
        if spend >= level.min_spend:
            current = level
    return current


def next_level(spend: Decimal, levels: Sequence[LoyaltyLevel]) -> LoyaltyLevel | None:
    """The first level above `spend`, or None at the top."""
    return next((lv for lv in _ordered(levels) if lv.min_spend > spend), None)


def points_for(price: Decimal, percent: Decimal) -> Decimal:
    """`price / 100 * percent`, rounded to 0.01 half up."""
    return quantize(price / HUNDRED * percent)


class EntryKind(enum.StrEnum):
    ACCRUAL = "ACCRUAL"
    REVERSAL = "REVERSAL"
    ADJUSTMENT = "ADJUSTMENT"
    HOLD = "HOLD"  # points set aside for a redemption on an upcoming visit (negative)
    RELEASE = "RELEASE"  # a hold given back (positive, the hold's amount)
    REDEMPTION = "REDEMPTION"  # points spent at once by staff (negative)
    EXPIRY = "EXPIRY"  # the unspent remainder of an expired lot (negative)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One append-only ledger line. `step` numbers a booking's entries (1, 2, ...), and the
    database keeps (booking_id, step) unique so a step can never be written twice."""

    user_id: int
    kind: EntryKind
    amount: Decimal
    reason: str
    created_at: datetime
    booking_id: int | None = None
    step: int | None = None
    percent: Decimal | None = None
    actor_id: int | None = None
    id: int | None = None
    redemption_id: int | None = None


class PostingRefused(ValueError):
    """An entry an account may not take; use cases check first and say why in their words,
    so this is a broken invariant, never a member's or staff's mistake."""


# The sign of each kind's amount (ADJUSTMENT goes either way).
CREDIT_KINDS = frozenset({EntryKind.ACCRUAL, EntryKind.RELEASE})
DEBIT_KINDS = frozenset(
    {EntryKind.REVERSAL, EntryKind.HOLD, EntryKind.REDEMPTION, EntryKind.EXPIRY}
)
# Spending never takes a balance below zero. A REVERSAL or EXPIRY may: the points it takes
# back were possibly spent already, and the ledger must still say what happened.
NO_OVERDRAFT_KINDS = frozenset({EntryKind.HOLD, EntryKind.REDEMPTION, EntryKind.ADJUSTMENT})


def posting_refusal(balance: Decimal, kind: EntryKind, amount: Decimal) -> str | None:
    """Why an entry of `kind` for `amount` cannot be posted to an account holding `balance`,
    or None if it can: zero, sub-cent, the wrong sign for its kind, a spending kind that
    overdraws, or a balance beyond its column (`MAX_POINTS`)."""
    if amount == ZERO or quantize(amount) != amount:
        return f"{kind.value}: amount {amount} is zero or not in whole cents"
    if (kind in CREDIT_KINDS and amount < ZERO) or (kind in DEBIT_KINDS and amount > ZERO):
        return f"{kind.value}: amount {amount} has the wrong sign"
    after = balance + amount
    if amount < ZERO and kind in NO_OVERDRAFT_KINDS and after < ZERO:
        return f"{kind.value}: {amount} overdraws a balance of {balance}"
    if abs(after) > MAX_POINTS:
        return f"{kind.value}: the balance would exceed {MAX_POINTS}"
    return None


@dataclass(slots=True)
class LoyaltyAccount:
    """A member's balance (sum of their ledger) and completed spend (drives the level).
    The balance changes only through `post`, so it stays the sum of the entries posted."""

    user_id: int
    balance: Decimal = ZERO
    completed_spend: Decimal = ZERO

    def post(
        self,
        kind: EntryKind,
        amount: Decimal,
        reason: str,
        created_at: datetime,
        *,
        booking_id: int | None = None,
        step: int | None = None,
        percent: Decimal | None = None,
        actor_id: int | None = None,
        redemption_id: int | None = None,
    ) -> LedgerEntry:
        """Move the balance by `amount` and return the entry saying so (not yet stored).
        Raises PostingRefused (the balance unchanged) when `posting_refusal` says why not."""
        refusal = posting_refusal(self.balance, kind, amount)
        if refusal is not None:
            raise PostingRefused(refusal)
        self.balance += amount
        return LedgerEntry(
            user_id=self.user_id,
            kind=kind,
            amount=amount,
            reason=reason,
            created_at=created_at,
            booking_id=booking_id,
            step=step,
            percent=percent,
            actor_id=actor_id,
            redemption_id=redemption_id,
        )


REVERSING_STATUSES = frozenset({BookingStatus.CANCELLED, BookingStatus.NO_SHOW})


def entitlement(booking: Booking, percent: Decimal, loyalty_enabled: bool) -> Decimal:
    """What the booking's latest state entitles it to, given the percent it would earn at.

    COMPLETED + linked + loyalty on → its points. Cancelled / no-show (deleted included)
    → nothing. Any other state keeps what was already granted. Loyalty off writes nothing.
    """
    if not loyalty_enabled:
        return booking.bonus_points
    if booking.status is BookingStatus.COMPLETED and booking.is_linked:
        return points_for(booking.price, percent)
    if booking.status in REVERSING_STATUSES:
        return ZERO
    return booking.bonus_points


@dataclass(frozen=True, slots=True)
class Award:
    """The ledger step that brings a booking in line with its entitlement."""

    kind: EntryKind
    amount: Decimal
    percent: Decimal
    spend_delta: Decimal


def reconcile(
    booking: Booking, account: LoyaltyAccount, levels: Sequence[LoyaltyLevel], loyalty_enabled: bool
) -> Award | None:
    """The entry (ACCRUAL / REVERSAL) that makes the booking's granted points equal its
    entitlement and its counted spend equal what it should count, or None if both agree
    (an award of 0 points only moves spend, as on a 0 % level).

    The percent is the member's level at the moment of the first accrual and stays frozen on
    the booking; the booking's own price counts toward the level only after its award.
    """
    percent = booking.bonus_percent
    if percent is None:
        percent = level_for(account.completed_spend, levels).cashback_percent
    target = entitlement(booking, percent, loyalty_enabled)
    delta = target - booking.bonus_points
    spend = _spend(booking, target, loyalty_enabled)
    spend_delta = spend - booking.bonus_basis
    if delta == ZERO and spend_delta == ZERO:
        return None
    kind = EntryKind.ACCRUAL if delta >= ZERO else EntryKind.REVERSAL
    return Award(kind=kind, amount=delta, percent=percent, spend_delta=spend_delta)


def _spend(booking: Booking, target: Decimal, loyalty_enabled: bool) -> Decimal:
    """What the visit adds to the member's level. A completed, linked visit counts whatever
    its percent (a 0 % entry level earns nothing yet must still level the member up); a
    cancelled one counts nothing; any other state keeps what it counted, or its price while
    it holds points."""
    if not loyalty_enabled:
        return booking.bonus_basis
    if booking.status is BookingStatus.COMPLETED and booking.is_linked:
        return booking.price
    if booking.status in REVERSING_STATUSES:
        return ZERO
    return booking.price if target > ZERO else booking.bonus_basis


def award_fits(booking: Booking, account: LoyaltyAccount, award: Award) -> bool:
    """Whether the award keeps every stored number within its column (`MAX_POINTS`). An
    award that does not is skipped (and logged) rather than failing the caller's page."""
    return all(
        abs(value) <= MAX_POINTS
        for value in (
            account.balance + award.amount,
            account.completed_spend + award.spend_delta,
            booking.bonus_points + award.amount,
            booking.bonus_basis + award.spend_delta,
        )
    )


def apply_award(
    booking: Booking, account: LoyaltyAccount, award: Award, now: datetime
) -> LedgerEntry | None:
    """Record the award on the booking and the account: the entry posted (the booking's next
    ledger step), or None for a spend-only award (a 0 % level), which takes no step."""
    entry = None
    if award.amount != ZERO:
        entry = account.post(
            award.kind,
            award.amount,
            award_reason(booking, award, booking.ledger_step + 1),
            now,
            booking_id=booking.id,
            step=booking.ledger_step + 1,
            percent=award.percent,
        )
        booking.ledger_step += 1
    booking.bonus_points += award.amount
    if booking.bonus_percent is None:
        booking.bonus_percent = award.percent
    booking.bonus_basis += award.spend_delta
    account.completed_spend += award.spend_delta
    return entry


def withdraw_award(
    booking: Booking, account: LoyaltyAccount, reason: str, now: datetime, actor_id: int
) -> LedgerEntry | None:
    """Take everything the booking earned off `account` (its member's), as when an admin
    links the booking to someone else: a REVERSAL step for its points (None when it earned
    none, as on a 0 % level), its spend off the level; the booking keeps no points."""
    entry = None
    if booking.bonus_points != ZERO:
        entry = account.post(
            EntryKind.REVERSAL,
            -booking.bonus_points,
            reason,
            now,
            booking_id=booking.id,
            step=booking.ledger_step + 1,
            percent=booking.bonus_percent,
            actor_id=actor_id,
        )
        booking.ledger_step += 1
    account.completed_spend -= booking.bonus_basis
    booking.bonus_points, booking.bonus_basis, booking.bonus_percent = ZERO, ZERO, None
    return entry


def award_reason(booking: Booking, award: Award, step: int) -> str:
    """The ledger's words for an award that is the booking's `step`-th entry."""
    where = f"record {booking.record_id} (company {booking.company_id})"
    if booking.status is not BookingStatus.COMPLETED:
        return f"{booking.status.value.lower()} after points were granted: {where}"
    if award.kind is EntryKind.ACCRUAL and step == 1:
        return f"visit completed: {booking.price} at {award.percent}%, {where}"
    return f"price changed to {booking.price} at {award.percent}%, {where}"
