"""Issue 20 item 1 (a member got the discount and kept the points) and item 8 (staff spend on
a held or cancelled visit), through the use cases over the in-memory fakes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.application.errors import Conflict, NotFound, ValidationFailed
from src.application.use_cases.expire_points import ExpirePoints, RecordTtl
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.redemptions import (
    CaptureHold,
    CheckoutList,
    HoldPoints,
    RedeemPoints,
    ReleaseHold,
)
from src.domain.booking import BookingStatus
from src.domain.loyalty import EntryKind
from src.domain.record import ServiceLine, YClientsRecord
from src.domain.redemption import RedemptionState
from tests.fakes.expiry import FakeExpiryReminders
from tests.unit.conftest import World

D = Decimal
CODE = "ABC23456"
ADMIN = 77


async def _visit(
    world: World, balance: str = "1000", price: int = 1000, at: datetime | None = None
) -> tuple[int, int, YClientsRecord]:
    maria = await world.user(code=CODE)
    await AdjustPoints(world.uow_factory, world.clock)(maria.id, D(balance), "gift", 99)
    extra = {"appointment_at": at} if at else {}
    record = world.record(1, price=price, comment=f"Код клиента: {CODE}", **extra)
    await world.ingest.one(record)
    return maria.id, world.booking(1).id, record  # type: ignore[return-value]


def _on_the_visits_day(world: World, record: YClientsRecord) -> None:
    world.clock.current = record.appointment_at - timedelta(hours=1)


def _kinds(world: World, redemption_id: int) -> list[EntryKind]:
    return [e.kind for e in world.store.entries if e.redemption_id == redemption_id]


async def test_member_cannot_release_after_the_discount_and_keep_the_points(world: World) -> None:
    """The defect: staff read the list and gave 300 off in YClients, the member released the
    hold before COMPLETED arrived, paid 700, kept the 300 points and earned on 700."""
    uid, bid, record = await _visit(world, balance="1000", price=1000)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(300))
    _on_the_visits_day(world, record)  # checkout: the discount is entered in YClients
    with pytest.raises(Conflict, match="the held points are the salon's"):
        await ReleaseHold(world.uow_factory, world.clock)(uid, r.id)  # type: ignore[arg-type]
    paid = world.newer(record, status=BookingStatus.COMPLETED,
                       services=(ServiceLine("Service", D(700)),))  # fmt: skip
    await world.ingest.one(paid)
    assert world.store.redemptions[r.id].state is RedemptionState.CAPTURED  # type: ignore[index]
    # 300 spent, 3 % of the 700 paid earned.
    assert world.balance(uid) == world.ledger_sum(uid) == D("721.00")


async def test_staff_capture_at_checkout_then_completion_keeps_it_once(world: World) -> None:
    uid, bid, record = await _visit(world)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(300))
    capture = CaptureHold(world.uow_factory, world.clock)
    with pytest.raises(Conflict, match="not today"):  # a week early: the hold is the member's
        await capture(r.id, ADMIN)  # type: ignore[arg-type]
    _on_the_visits_day(world, record)
    done = await capture(r.id, ADMIN)  # type: ignore[arg-type]
    assert (done.state, done.captured_by) == (RedemptionState.CAPTURED, ADMIN)
    with pytest.raises(Conflict, match="CAPTURED"):
        await capture(r.id, ADMIN)  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="CAPTURED"):
        await ReleaseHold(world.uow_factory, world.clock)(uid, r.id)  # type: ignore[arg-type]
    with pytest.raises(Conflict, match="active redemption"):  # no second hold on the visit
        await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(1))
    with pytest.raises(NotFound):
        await capture(4242, ADMIN)
    completed = world.newer(record, status=BookingStatus.COMPLETED,
                            services=(ServiceLine("Service", D(700)),))  # fmt: skip
    await world.ingest([completed, completed])
    stored = world.store.redemptions[r.id]  # type: ignore[index]
    assert (stored.state, stored.captured_by, stored.points) == (
        RedemptionState.CAPTURED, ADMIN, D("300.00"),
    )  # fmt: skip
    assert _kinds(world, r.id) == [EntryKind.HOLD]  # type: ignore[arg-type]
    assert world.balance(uid) == world.ledger_sum(uid) == D("721.00")


@pytest.mark.parametrize("how", ["cancelled", "no_show", "deleted"])
async def test_a_cancellation_after_a_staff_capture_reverses_it_once(
    world: World, how: str
) -> None:
    uid, bid, record = await _visit(world)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(300))
    _on_the_visits_day(world, record)
    await CaptureHold(world.uow_factory, world.clock)(r.id, ADMIN)  # type: ignore[arg-type]
    assert world.balance(uid) == D("700.00")
    change = {
        "cancelled": {"status": BookingStatus.CANCELLED},
        "no_show": {"status": BookingStatus.NO_SHOW},
        "deleted": {"deleted": True},
    }[how]
    gone = world.newer(record, **change)
    await world.ingest.one(gone)
    await world.ingest([gone, gone])  # duplicates
    await world.ingest.one(record)  # an older version, late
    assert world.store.redemptions[r.id].state is RedemptionState.REVERSED  # type: ignore[index]
    assert _kinds(world, r.id) == [EntryKind.HOLD, EntryKind.RELEASE]  # type: ignore[arg-type]
    release = world.store.entries[-1]
    assert release.amount == D("300.00") and "capture reversed" in release.reason
    assert release.actor_id is None  # YClients' cancellation, not the capturing admin
    assert world.balance(uid) == world.ledger_sum(uid) == D("1000.00")


async def test_staff_spend_on_a_visit_with_an_800_point_hold_is_refused(world: World) -> None:
    uid, bid, _ = await _visit(world, balance="2000", price=3000)
    await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(800))
    redeem = RedeemPoints(world.uow_factory, world.clock)
    with pytest.raises(ValidationFailed, match=r"hold of 800\.00 points is on this visit"):
        await redeem(uid, D(100), "at checkout", ADMIN, booking_id=bid)
    assert world.balance(uid) == world.ledger_sum(uid) == D("1200.00")
    # Without a visit (a correction) staff may still spend, within the balance.
    await redeem(uid, D(100), "correction", ADMIN)
    assert world.balance(uid) == D("1100.00")


async def test_staff_spend_on_a_cancelled_visit_is_refused(world: World) -> None:
    uid, bid, record = await _visit(world)
    await world.ingest.one(world.newer(record, status=BookingStatus.CANCELLED))
    with pytest.raises(ValidationFailed, match="the booking is CANCELLED, not open"):
        await RedeemPoints(world.uow_factory, world.clock)(uid, D(50), "x", ADMIN, booking_id=bid)
    assert world.balance(uid) == D("1000.00")


async def test_staff_spend_on_an_open_visit_shares_the_holds_cap(world: World) -> None:
    uid, bid, record = await _visit(world, balance="5000", price=1000)
    redeem = RedeemPoints(world.uow_factory, world.clock)
    await redeem(uid, D(200), "part at checkout", ADMIN, booking_id=bid)
    with pytest.raises(ValidationFailed, match=r"more than 30% .*300\.00, 200\.00 already"):
        await redeem(uid, D("100.01"), "more", ADMIN, booking_id=bid)
    with pytest.raises(ValidationFailed, match="already spent"):  # a member's hold too
        await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(101))
    await redeem(uid, D(100), "the rest", ADMIN, booking_id=bid)
    world.clock.current = record.appointment_at + timedelta(days=1, hours=12)
    with pytest.raises(ValidationFailed, match="an earlier day"):  # never completed: stale
        await redeem(uid, D(1), "late", ADMIN, booking_id=bid)
    assert world.balance(uid) == world.ledger_sum(uid) == D("4700.00")


async def test_points_released_after_their_lot_expired_expire_at_release(world: World) -> None:
    await RecordTtl(world.uow_factory, world.clock, 30)()  # lots live 30 days
    far = world.clock.now() + timedelta(days=60)  # a visit booked two months ahead
    uid, bid, _ = await _visit(world, balance="1000", price=2000, at=far)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(500))
    world.clock.advance(days=31)  # the gift's lot expired; the daily run has not run yet
    await ReleaseHold(world.uow_factory, world.clock)(uid, r.id)  # type: ignore[arg-type]
    expiries = [e for e in world.store.entries if e.kind is EntryKind.EXPIRY]
    assert [e.amount for e in expiries] == [D("-1000.00")]  # the released 500 with the rest
    assert world.balance(uid) == world.ledger_sum(uid) == D("0.00")
    expire = ExpirePoints(world.uow_factory, world.clock, FakeExpiryReminders(),
                          ttl_days=30, reminder_days=7)  # fmt: skip
    assert (await expire()).lots == 0  # nothing left to expire, nothing twice
    # and the points cannot be held again on another visit
    with pytest.raises(ValidationFailed, match="nothing to spend"):
        await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(1))


async def test_a_hold_does_not_keep_an_expired_lot_alive(world: World) -> None:
    await RecordTtl(world.uow_factory, world.clock, 30)()
    far = world.clock.now() + timedelta(days=60)
    uid, bid, _ = await _visit(world, balance="1000", price=2000, at=far)
    world.clock.advance(days=31)  # expired, before the daily run
    with pytest.raises(ValidationFailed, match="nothing to spend"):
        await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(300))
    assert not world.store.redemptions  # (the refusal wrote nothing; the daily run expires it)


async def test_checkout_flags_a_visit_completed_at_full_price_with_its_hold_captured(
    world: World,
) -> None:
    uid, bid, record = await _visit(world, price=1000)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(300))
    _on_the_visits_day(world, record)
    await CaptureHold(world.uow_factory, world.clock)(r.id, ADMIN)  # type: ignore[arg-type]
    checkout = CheckoutList(world.uow_factory, world.clock)
    [line] = await checkout(RedemptionState.CAPTURED)
    assert not line.discount_missing  # not completed yet
    await world.ingest.one(world.newer(record, status=BookingStatus.COMPLETED))  # still 1000
    [line] = await checkout(RedemptionState.CAPTURED)
    assert line.redemption.id == r.id and line.discount_missing
    assert line.redemption.visit_price == D("1000.00")


async def test_hold_lock_hours_before(world: World) -> None:
    from src.domain.redemption import HoldRules

    uid, bid, record = await _visit(world)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(100))
    rules = HoldRules(lock_hours_before=2)
    world.clock.current = record.appointment_at - timedelta(hours=2, seconds=1)
    release = ReleaseHold(world.uow_factory, world.clock, rules)
    assert (await release(uid, r.id)).state is RedemptionState.RELEASED  # type: ignore[arg-type]
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(100))
    world.clock.current = record.appointment_at - timedelta(hours=2)
    with pytest.raises(Conflict, match="salon's"):
        await release(uid, r.id)  # type: ignore[arg-type]
    assert datetime(2026, 1, 1, tzinfo=UTC) < record.appointment_at
