"""Issue 23 items 1 and 4: the front desk's day (TodayVisits) and staff cancelling a hold
(CancelHold), through the use cases over the in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from src.application.errors import Conflict, ValidationFailed
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.redemptions import (
    CaptureHold,
    CheckoutList,
    HoldPoints,
    ReleaseHold,
)
from src.application.use_cases.staff_holds import CancelHold
from src.application.use_cases.today import TodayVisits
from src.domain.booking import BookingStatus
from src.domain.loyalty import EntryKind
from src.domain.record import ServiceLine
from src.domain.redemption import HoldRules, RedemptionState, ReleaseCause
from tests.unit.conftest import World

D = Decimal
CODE = "ABC23456"
ADMIN = 77
AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # the visit: 10:00 on the salon's (UTC) day


async def _held(world: World, points: str = "300") -> tuple[int, int]:
    """Maria (1000 points) holds `points` on her 1000.00 visit at AT; (user id, hold id)."""
    maria = await world.user(code=CODE)
    await AdjustPoints(world.uow_factory, world.clock)(maria.id, D(1000), "gift", 99)
    await world.ingest.one(
        world.record(1, price=1000, comment=f"Код клиента: {CODE}", appointment_at=AT)
    )
    r = await HoldPoints(world.uow_factory, world.clock)(maria.id, world.booking(1).id, D(points))  # type: ignore[arg-type]
    return maria.id, r.id  # type: ignore[return-value]


async def test_today_lists_the_days_visits_with_what_to_do_at_checkout(world: World) -> None:
    uid, hold_id = await _held(world)
    # A walk-in (no member) the same afternoon, a visit tomorrow, a visit removed in YClients.
    await world.ingest.one(world.record(2, price=500, appointment_at=AT + timedelta(hours=5)))
    await world.ingest.one(world.record(3, price=800, appointment_at=AT + timedelta(days=1)))
    gone = world.record(4, price=900, appointment_at=AT + timedelta(hours=2))
    await world.ingest.one(gone)
    await world.ingest.one(world.newer(gone, deleted=True))
    world.clock.current = AT - timedelta(hours=1)
    view = await TodayVisits(world.uow_factory, world.clock, HoldRules())()
    assert view.day == AT.date()
    assert [v.booking.record_id for v in view.visits] == [1, 2]  # earliest first
    maria, walk_in = view.visits
    assert maria.member is not None and maria.member.id == uid
    assert (maria.balance, maria.hold.id if maria.hold else None) == (D(700), hold_id)
    assert (maria.to_deduct, maria.to_pay, maria.can_capture) == (D(300), D(700), True)
    assert (walk_in.member, walk_in.balance, walk_in.hold) == (None, None, None)
    assert (walk_in.to_deduct, walk_in.to_pay) == (D(0), D(500))
    assert (view.members, view.to_deduct) == (1, D(300))
    # Captured: nothing left to deduct; once the discount is in the price, the price is paid.
    await CaptureHold(world.uow_factory, world.clock)(hold_id, ADMIN)
    view = await TodayVisits(world.uow_factory, world.clock, HoldRules())(AT.date())
    assert (view.visits[0].to_deduct, view.visits[0].to_pay) == (D(0), D(700))
    discounted = world.record(
        1, price=700, comment=f"Код клиента: {CODE}", appointment_at=AT,
        status=BookingStatus.COMPLETED,
    )  # fmt: skip
    await world.ingest.one(discounted)
    view = await TodayVisits(world.uow_factory, world.clock, HoldRules())(AT.date())
    assert view.visits[0].to_pay == D(700)  # not 400: the points are in the price already


async def test_today_offers_capture_only_once_the_hold_is_the_salons(world: World) -> None:
    await _held(world)
    world.clock.current = AT - timedelta(days=2)
    view = await TodayVisits(world.uow_factory, world.clock, HoldRules())(AT.date())
    assert view.visits[0].to_deduct == D(300)
    assert view.visits[0].can_capture is False  # two days early: still the member's


async def test_staff_cancel_a_hold_with_a_reason_and_the_points_come_back(world: World) -> None:
    uid, hold_id = await _held(world)
    world.clock.current = AT - timedelta(hours=1)  # the member can no longer release it
    with pytest.raises(Conflict):
        await ReleaseHold(world.uow_factory, world.clock)(uid, hold_id)
    cancel = CancelHold(world.uow_factory, world.clock)
    with pytest.raises(ValidationFailed, match="reason"):
        await cancel(hold_id, ADMIN, "  ")
    done = await cancel(hold_id, ADMIN, "client pays in cash")
    assert (done.state, done.released_by) == (RedemptionState.RELEASED, ADMIN)
    assert world.balance(uid) == world.ledger_sum(uid) == D(1000)
    [entry] = [e for e in world.store.entries if e.redemption_id == hold_id
               and e.kind is EntryKind.RELEASE]  # fmt: skip
    assert entry.actor_id == ADMIN and "client pays in cash" in entry.reason
    with pytest.raises(Conflict, match="RELEASED, not HELD"):  # once
        await cancel(hold_id, ADMIN, "again")
    [line] = await CheckoutList(world.uow_factory, world.clock)(RedemptionState.RELEASED, AT.date())
    assert line.cause is ReleaseCause.STAFF


async def test_a_captured_hold_cannot_be_cancelled(world: World) -> None:
    _, hold_id = await _held(world)
    world.clock.current = AT - timedelta(hours=1)
    await CaptureHold(world.uow_factory, world.clock)(hold_id, ADMIN)
    with pytest.raises(Conflict, match="CAPTURED, not HELD"):
        await CancelHold(world.uow_factory, world.clock)(hold_id, ADMIN, "mistake")


async def test_checkout_rows_say_who_gave_the_points_back(world: World) -> None:
    uid, hold_id = await _held(world)
    await ReleaseHold(world.uow_factory, world.clock)(uid, hold_id)  # days before the visit
    checkout = CheckoutList(world.uow_factory, world.clock)
    [line] = await checkout(RedemptionState.RELEASED, AT.date())
    assert line.cause is ReleaseCause.MEMBER
    again = await HoldPoints(world.uow_factory, world.clock)(uid, world.booking(1).id, D(200))  # type: ignore[arg-type]
    await world.ingest.one(
        world.record(1, price=1000, comment=f"Код клиента: {CODE}", appointment_at=AT,
                     status=BookingStatus.CANCELLED, services=(ServiceLine("S", D(1000)),))
    )  # fmt: skip
    causes = {
        ln.redemption.id: ln.cause for ln in await checkout(RedemptionState.RELEASED, AT.date())
    }
    assert causes == {hold_id: ReleaseCause.MEMBER, again.id: ReleaseCause.VISIT}


async def test_the_default_checkout_day_is_the_salons_even_when_utc_is_still_yesterday(
    world: World,
) -> None:
    # 00:30 in Moscow is 21:30 UTC the day before: the window read for "today" was built from
    # the UTC date, so the salon's visits of its new day were missing after 21:00 UTC.
    moscow = ZoneInfo("Europe/Moscow")
    visit = datetime(2026, 12, 3, 17, 45, tzinfo=moscow)
    maria = await world.user(code=CODE)
    await AdjustPoints(world.uow_factory, world.clock)(maria.id, D(1000), "gift", 99)
    await world.ingest.one(
        world.record(1, price=1000, comment=f"Код клиента: {CODE}", appointment_at=visit)
    )
    world.clock.current = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    hold = await HoldPoints(world.uow_factory, world.clock)(maria.id, world.booking(1).id, D(300))  # type: ignore[arg-type]
    world.clock.current = datetime(2026, 12, 2, 21, 30, tzinfo=UTC)
    [line] = await CheckoutList(world.uow_factory, world.clock)()
    assert line.redemption.id == hold.id
