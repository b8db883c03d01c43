"""Issue 20 items 1 and 8: when a hold may be released, captured or spent on, as domain
functions of the visit's time, state and price (no infrastructure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from src.domain.booking import Booking, BookingStatus
from src.domain.redemption import (
    HoldRules,
    Redemption,
    RedemptionState,
    capture_refusal,
    discount_missing,
    hold_outcome,
    hold_refusal,
    release_refusal,
    salons_from,
    staff_spend_refusal,
)

D = Decimal
MOSCOW = ZoneInfo("Europe/Moscow")
RULES = HoldRules(max_percent=D(30), zone=MOSCOW)
# A visit at 15:00 Moscow time (12:00 UTC) on 2030-01-15.
VISIT = datetime(2030, 1, 15, 12, 0, tzinfo=UTC)
DAY_START = datetime(2030, 1, 14, 21, 0, tzinfo=UTC)  # 00:00 on the 15th in Moscow


def visit(
    status: BookingStatus = BookingStatus.CONFIRMED,
    price: str = "1000",
    offset: int | None = None,
    at: datetime = VISIT,
) -> Booking:
    return Booking(
        company_id=1, record_id=7, status=status, appointment_at=at, last_change_at=at,
        price=D(price), utc_offset_minutes=offset, id=70, user_id=5,
    )  # fmt: skip


def hold(state: RedemptionState = RedemptionState.HELD, points: str = "300") -> Redemption:
    return Redemption(
        user_id=5, points=D(points), state=state, reason="r", created_at=VISIT - timedelta(days=3),
        booking_id=70, id=9, visit_price=D("1000"),
    )  # fmt: skip


def test_a_hold_is_the_salons_from_the_start_of_the_visits_day_in_salon_time() -> None:
    assert salons_from(visit(), RULES) == DAY_START
    # The visit's own offset (as YClients sent it) wins over the configured zone.
    assert salons_from(visit(offset=5 * 60), RULES) == datetime(2030, 1, 14, 19, 0, tzinfo=UTC)
    # HOLD_LOCK_HOURS_BEFORE=N: N hours before the visit instead.
    assert salons_from(visit(), HoldRules(lock_hours_before=2, zone=MOSCOW)) == VISIT - timedelta(
        hours=2
    )


@pytest.mark.parametrize(
    ("now", "refused"),
    [
        (DAY_START - timedelta(days=2), False),
        (DAY_START - timedelta(seconds=1), False),
        (DAY_START, True),  # midnight of the visit's day, salon time
        (VISIT - timedelta(minutes=5), True),  # at the desk, before YClients reports
        (VISIT + timedelta(hours=2), True),
    ],
)
def test_member_release_is_refused_once_the_visit_is_near(now: datetime, refused: bool) -> None:
    why = release_refusal(visit(), hold(), now, RULES)
    assert (why is not None) is refused
    if refused:
        assert why is not None and "the held points are the salon's" in why
        assert "2030-01-15 00:00 +0300" in why


def test_release_and_capture_refusals_by_state() -> None:
    early = DAY_START - timedelta(days=1)
    assert release_refusal(visit(), hold(RedemptionState.CAPTURED), early, RULES) == (
        "redemption 9 is CAPTURED"
    )
    cancelled = visit(BookingStatus.CANCELLED)
    assert release_refusal(cancelled, hold(), early, RULES) == "booking 70 is CANCELLED"
    # Staff capture: from the start of the visit's day, on a visit not cancelled.
    assert capture_refusal(visit(), hold(), DAY_START, RULES) is None
    assert capture_refusal(visit(BookingStatus.COMPLETED), hold(), VISIT, RULES) is None
    assert "not today" in (capture_refusal(visit(), hold(), early, RULES) or "")
    assert "CANCELLED" in (capture_refusal(cancelled, hold(), VISIT, RULES) or "")
    assert "not HELD" in (
        capture_refusal(visit(), hold(RedemptionState.CAPTURED), VISIT, RULES) or ""
    )
    assert "RELEASED" in (
        capture_refusal(visit(), hold(RedemptionState.RELEASED), VISIT, RULES) or ""
    )


@pytest.mark.parametrize(
    ("state", "status", "outcome"),
    [
        (RedemptionState.HELD, BookingStatus.CONFIRMED, None),
        (RedemptionState.HELD, BookingStatus.COMPLETED, RedemptionState.CAPTURED),
        (RedemptionState.HELD, BookingStatus.CANCELLED, RedemptionState.RELEASED),
        (RedemptionState.HELD, BookingStatus.NO_SHOW, RedemptionState.RELEASED),
        (RedemptionState.CAPTURED, BookingStatus.COMPLETED, None),
        (RedemptionState.CAPTURED, BookingStatus.CONFIRMED, None),
        (RedemptionState.CAPTURED, BookingStatus.CANCELLED, RedemptionState.REVERSED),
        (RedemptionState.CAPTURED, BookingStatus.NO_SHOW, RedemptionState.REVERSED),
        (RedemptionState.REVERSED, BookingStatus.CANCELLED, None),  # once
        (RedemptionState.RELEASED, BookingStatus.CANCELLED, None),
    ],
)
def test_what_a_hold_becomes_when_its_visit_changes(
    state: RedemptionState, status: BookingStatus, outcome: RedemptionState | None
) -> None:
    assert hold_outcome(visit(status), hold(state)) is outcome


def test_the_cap_is_the_price_when_the_hold_is_made() -> None:
    assert hold_refusal(visit(price="1000"), D(5000), D(300), D(30)) is None
    assert "(300.00)" in (hold_refusal(visit(price="1000"), D(5000), D("300.01"), D(30)) or "")
    # Points staff spent on the visit already count toward the cap.
    why = hold_refusal(visit(price="1000"), D(5000), D(250), D(30), spent_on_visit=D(100))
    assert why == "points: more than 30% of the booking's price (300.00, 100 already spent on it)"


def test_a_discount_entered_in_yclients_changes_nothing_captured_and_a_full_price_is_flagged() -> (
    None
):
    captured = hold(RedemptionState.CAPTURED)
    # The discount lowered the cost to 700: completed, captured as it was, nothing flagged.
    assert not discount_missing(visit(BookingStatus.COMPLETED, price="700"), captured)
    # Completed at the full pre-hold price: the discount was probably not entered.
    assert discount_missing(visit(BookingStatus.COMPLETED, price="1000"), captured)
    assert not discount_missing(visit(BookingStatus.CONFIRMED, price="1000"), captured)
    assert not discount_missing(visit(BookingStatus.COMPLETED, price="1000"), hold())


NOW = VISIT - timedelta(hours=3)  # the morning of the visit


@pytest.mark.parametrize(
    ("booking", "active", "points", "spent", "why"),
    [
        (visit(), None, "300", "0", None),
        (visit(), None, "200", "100", None),
        (visit(), None, "200.01", "100", "points: more than 30%"),
        # today's earlier visit not yet completed in YClients: still open
        (visit(at=DAY_START + timedelta(hours=1)), None, "10", "0", None),
        (visit(at=VISIT + timedelta(days=9)), None, "10", "0", None),  # upcoming
        (visit(at=DAY_START - timedelta(minutes=1)), None, "10", "0", "an earlier day"),
        (visit(BookingStatus.CANCELLED), None, "50", "0", "is CANCELLED, not open"),
        (visit(BookingStatus.COMPLETED), None, "50", "0", "is COMPLETED, not open"),
        (visit(), hold(points="800"), "100", "0", "hold of 800 points is on this visit"),
        (visit(), hold(RedemptionState.CAPTURED), "1", "0", "capture it instead"),
    ],
)
def test_staff_spend_only_on_an_open_visit_without_a_hold_within_the_cap(
    booking: Booking, active: Redemption | None, points: str, spent: str, why: str | None
) -> None:
    got = staff_spend_refusal(booking, active, D(points), D(spent), NOW, RULES)
    if why is None:
        assert got is None
    else:
        assert got is not None and why in got
