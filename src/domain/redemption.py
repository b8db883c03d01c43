"""Spending points: a hold on an upcoming visit (captured when the visit is completed,
released when it is cancelled, missed or deleted), or an immediate redemption by staff."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_DOWN, Decimal

from src.domain.booking import UPCOMING_STATUSES, Booking, BookingStatus
from src.domain.loyalty import REVERSING_STATUSES
from src.domain.money import CENT, ZERO

DEFAULT_MAX_PERCENT = Decimal(30)


class RedemptionState(enum.StrEnum):
    HELD = "HELD"  # points set aside (a HOLD entry); at most one per booking
    CAPTURED = "CAPTURED"  # the visit was completed: the held points are spent, no new entry
    RELEASED = "RELEASED"  # given back (a RELEASE entry): cancelled by the member or the visit
    REDEEMED = "REDEEMED"  # spent at once by staff (a REDEMPTION entry)


@dataclass(slots=True)
class Redemption:
    user_id: int
    points: Decimal
    state: RedemptionState
    reason: str
    created_at: datetime
    booking_id: int | None = None
    actor_id: int | None = None
    id: int | None = None
    updated_at: datetime | None = None


def redemption_cap(price: Decimal, max_percent: Decimal) -> Decimal:
    """The most points one visit may be paid with: `max_percent` of its price, rounded down
    to the cent (never above the cap)."""
    return (price * max_percent / Decimal(100)).quantize(CENT, rounding=ROUND_DOWN)


def hold_refusal(
    booking: Booking, balance: Decimal, points: Decimal, max_percent: Decimal
) -> str | None:
    """Why `points` cannot be held on `booking` ("field: reason"), or None if they can."""
    if points <= ZERO:
        return "points: must be positive"
    if booking.status not in UPCOMING_STATUSES:
        return f"booking_id: the booking is {booking.status.value}, not upcoming"
    if balance <= ZERO:
        return f"points: nothing to spend (balance is {balance})"
    if points > balance:
        return f"points: more than the balance ({balance})"
    cap = redemption_cap(booking.price, max_percent)
    if points > cap:
        return f"points: more than {max_percent}% of the booking's price ({cap})"
    return None


def hold_outcome(booking: Booking) -> RedemptionState | None:
    """What a HELD redemption becomes when its booking reaches this state (None: stays held).
    A completed visit captures the hold as it was: the cap was checked when it was made, and
    the price usually drops by exactly the points once staff enter them as a discount."""
    if booking.status is BookingStatus.COMPLETED:
        return RedemptionState.CAPTURED
    if booking.status in REVERSING_STATUSES:
        return RedemptionState.RELEASED
    return None
