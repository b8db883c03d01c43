"""Spending points: a hold on an upcoming visit, or an immediate redemption by staff.

A hold is the member's until the visit is near (the start of the visit's day in the salon's
time, or `lock_hours_before` the visit), then the salon's: the member can no longer release
it, staff capture it at checkout, and the visit's completion captures what is still held. A
cancellation, no-show or deletion releases a held hold and reverses a captured one. These are
functions of the visit's time, state and price, and of nothing stored elsewhere."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
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
    # A captured hold whose visit was then cancelled, missed or deleted: the points come back
    # with a RELEASE entry of their own (the redemption's second and last entry).
    REVERSED = "REVERSED"


# Redemptions that spend (or will spend) a visit's points: one of these per visit at most.
ACTIVE_STATES = frozenset({RedemptionState.HELD, RedemptionState.CAPTURED})


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
    visit_price: Decimal | None = None  # the visit's price when the hold was made
    captured_by: int | None = None  # the staff member who captured it at checkout
    # Who gave it back: the member (their own id) or staff (an admin's); None: the visit's
    # cancellation did, or it was released before this was kept.
    released_by: int | None = None


@dataclass(frozen=True, slots=True)
class HoldRules:
    """The salon's rules for spending points on a visit.

    `max_percent`: the most of a visit's price payable with points. `lock_hours_before`: 0 =
    a hold becomes the salon's at the start of the visit's day in the salon's time, N = N
    hours before the visit. `zone`: the salon's time zone, for visits whose offset YClients
    did not send (a visit's own offset wins)."""

    max_percent: Decimal = Decimal(30)
    lock_hours_before: int = 0
    zone: tzinfo = UTC


def salon_time(moment: datetime, booking: Booking, rules: HoldRules) -> datetime:
    """`moment` on the salon's wall clock, as the visit's own offset (or the salon's zone)."""
    if booking.utc_offset_minutes is not None:
        return moment.astimezone(booking.local_appointment_at.tzinfo)
    return moment.astimezone(rules.zone)


def salons_from(booking: Booking, rules: HoldRules) -> datetime:
    """The moment a hold on this visit becomes the salon's (the member can no longer give it
    back; staff may capture it)."""
    if rules.lock_hours_before > 0:
        return booking.appointment_at - timedelta(hours=rules.lock_hours_before)
    local = salon_time(booking.appointment_at, booking, rules)
    return datetime.combine(local.date(), time(), tzinfo=local.tzinfo).astimezone(UTC)


def redemption_cap(price: Decimal, max_percent: Decimal) -> Decimal:
    """The most points one visit may be paid with: `max_percent` of its price, rounded down
    to the cent (never above the cap)."""
    return (price * max_percent / Decimal(100)).quantize(CENT, rounding=ROUND_DOWN)


def hold_refusal(
    booking: Booking,
    balance: Decimal,
    points: Decimal,
    max_percent: Decimal,
    spent_on_visit: Decimal = ZERO,
) -> str | None:
    """Why `points` cannot be held on `booking` ("field: reason"), or None if they can.
    `spent_on_visit`: points staff already redeemed on this visit (they count toward the cap).
    The cap is the visit's price now, before any discount for the points."""
    if points <= ZERO:
        return "points: must be positive"
    if booking.status not in UPCOMING_STATUSES:
        return f"booking_id: the booking is {booking.status.value}, not upcoming"
    if balance <= ZERO:
        return f"points: nothing to spend (balance is {balance})"
    if points > balance:
        return f"points: more than the balance ({balance})"
    return _cap_refusal(booking, points, max_percent, spent_on_visit)


def _cap_refusal(
    booking: Booking, points: Decimal, max_percent: Decimal, spent_on_visit: Decimal
) -> str | None:
    cap = redemption_cap(booking.price, max_percent)
    if points + spent_on_visit > cap:
        already = f", {spent_on_visit} already spent on it" if spent_on_visit > ZERO else ""
        return f"points: more than {max_percent}% of the booking's price ({cap}{already})"
    return None


def staff_spend_refusal(
    booking: Booking,
    active: Redemption | None,
    points: Decimal,
    spent_on_visit: Decimal,
    now: datetime,
    rules: HoldRules,
) -> str | None:
    """Why staff cannot spend `points` on `booking` ("field: reason"), or None if they can.
    Only on an open visit (today or upcoming in the salon's time, pending or confirmed)
    without an active hold, within the cap a member's hold has (what staff already spent on
    the visit included). Staff spending without a visit is not limited here."""
    if booking.status not in UPCOMING_STATUSES:
        return f"booking_id: the booking is {booking.status.value}, not open"
    if not is_open_visit(booking, now, rules):
        return "booking_id: the visit was on an earlier day"
    if active is not None:
        return (
            f"booking_id: the member's hold of {active.points} points is on this visit"
            f" ({active.state.value}): capture it instead"
        )
    return _cap_refusal(booking, points, rules.max_percent, spent_on_visit)


def is_open_visit(booking: Booking, now: datetime, rules: HoldRules) -> bool:
    """Staff may spend on it: pending or confirmed, today or later in the salon's time."""
    return (
        booking.status in UPCOMING_STATUSES
        and salon_time(booking.appointment_at, booking, rules).date()
        >= salon_time(now, booking, rules).date()
    )


def release_refusal(
    booking: Booking | None, redemption: Redemption, now: datetime, rules: HoldRules
) -> str | None:
    """Why the member cannot give this hold back now, or None if they can."""
    if redemption.state is not RedemptionState.HELD:
        return f"redemption {redemption.id} is {redemption.state.value}"
    if booking is None:
        return None
    if booking.status not in UPCOMING_STATUSES:
        return f"booking {booking.id} is {booking.status.value}"
    locked_from = salons_from(booking, rules)
    if now >= locked_from:
        when = salon_time(locked_from, booking, rules)
        return (
            f"redemption {redemption.id}: the visit is near, so since "
            f"{when:%Y-%m-%d %H:%M %z} the held points are the salon's; staff deduct them at "
            "checkout, and a cancelled visit gives them back"
        )
    return None


def capture_refusal(
    booking: Booking | None, redemption: Redemption, now: datetime, rules: HoldRules
) -> str | None:
    """Why staff cannot capture this hold now, or None if they can: a HELD hold on a visit
    that is not cancelled, from the moment the hold is the salon's."""
    if redemption.state is not RedemptionState.HELD:
        return f"redemption {redemption.id} is {redemption.state.value}, not HELD"
    if booking is None:
        return f"redemption {redemption.id}: its booking no longer exists"
    if booking.status in REVERSING_STATUSES:
        return f"booking {booking.id} is {booking.status.value}"
    if now < salons_from(booking, rules):
        return f"redemption {redemption.id}: the visit is not today"
    return None


def hold_outcome(booking: Booking, redemption: Redemption | None = None) -> RedemptionState | None:
    """What an active redemption becomes when its booking reaches this state (None: stays).

    HELD: a completed visit captures it as it was (the cap was checked against the price when
    it was made; the price drops by the points once staff enter them as a discount, which
    changes nothing here); a cancelled, missed or deleted visit releases it. CAPTURED: a
    cancelled, missed or deleted visit reverses it (the points come back)."""
    state = redemption.state if redemption is not None else RedemptionState.HELD
    if state is RedemptionState.HELD:
        if booking.status is BookingStatus.COMPLETED:
            return RedemptionState.CAPTURED
        if booking.status in REVERSING_STATUSES:
            return RedemptionState.RELEASED
    if state is RedemptionState.CAPTURED and booking.status in REVERSING_STATUSES:
        return RedemptionState.REVERSED
    return None


def discount_missing(booking: Booking, redemption: Redemption) -> bool:
    """A captured hold on a visit that completed at its full price from before the hold: the
    points were probably not entered as a discount in YClients (staff should check)."""
    return (
        redemption.state is RedemptionState.CAPTURED
        and booking.status is BookingStatus.COMPLETED
        and redemption.visit_price is not None
        and booking.price >= redemption.visit_price
    )


def cancel_refusal(redemption: Redemption, reason: str) -> str | None:
    """Why staff cannot cancel this hold (give the points back), or None if they can: only a
    HELD hold, at any time, with a reason for the record."""
    if not reason.strip():
        return "reason: must not be empty"
    if redemption.state is not RedemptionState.HELD:
        return f"redemption {redemption.id} is {redemption.state.value}, not HELD"
    return None


def amount_to_pay(booking: Booking, redemption: Redemption | None) -> Decimal:
    """What the client pays for the visit: its price less the points held or captured on it,
    unless the points are in the price already (entered as a discount: the price dropped
    below the one the hold was made at)."""
    if redemption is None or redemption.state not in ACTIVE_STATES:
        return booking.price
    if redemption.visit_price is not None and booking.price < redemption.visit_price:
        return booking.price
    return max(booking.price - redemption.points, ZERO)


class ReleaseCause(enum.StrEnum):
    """Why a hold's points went back to the member."""

    STAFF = "STAFF"  # cancelled at the front desk (released_by an admin)
    VISIT = "VISIT"  # the visit was cancelled, missed or deleted
    MEMBER = "MEMBER"  # the member gave it back in the app


def release_cause(booking: Booking | None, redemption: Redemption) -> ReleaseCause | None:
    """What released (or reversed) this redemption; None while it is not given back."""
    if redemption.state not in (RedemptionState.RELEASED, RedemptionState.REVERSED):
        return None
    if redemption.released_by is not None:
        mine = redemption.released_by == redemption.user_id
        return ReleaseCause.MEMBER if mine else ReleaseCause.STAFF
    if (
        redemption.state is RedemptionState.REVERSED
        or booking is None
        or booking.deleted
        or booking.status in REVERSING_STATUSES
    ):
        return ReleaseCause.VISIT
    return ReleaseCause.MEMBER
