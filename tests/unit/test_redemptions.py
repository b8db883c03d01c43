"""Issue 14: member holds on upcoming visits, the hold following its booking, staff redemption."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.application.errors import Conflict, NotFound, ValidationFailed
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.redemptions import (
    HoldPoints,
    ListRedemptions,
    RedeemPoints,
    ReleaseHold,
)
from src.domain.booking import BookingStatus
from src.domain.loyalty import EntryKind
from src.domain.record import YClientsRecord
from src.domain.redemption import RedemptionState, redemption_cap
from tests.unit.conftest import World

D = Decimal
CODE = "ABC23456"


async def _member_with_booking(
    world: World, balance: str = "1000", price: int = 2500
) -> tuple[int, int, YClientsRecord]:
    maria = await world.user(code=CODE)
    await AdjustPoints(world.uow_factory, world.clock)(maria.id, D(balance), "gift", 99)
    record = world.record(1, price=price, comment=f"Код клиента: {CODE}")
    await world.ingest.one(record)
    return maria.id, world.booking(1).id, record  # type: ignore[return-value]


def _held(world: World, user_id: int) -> Decimal:
    return sum(
        (r.points for r in world.store.redemptions.values()
         if r.user_id == user_id and r.state is RedemptionState.HELD),
        D("0.00"),
    )  # fmt: skip


async def test_hold_writes_a_hold_entry_and_lowers_the_balance(world: World) -> None:
    uid, bid, _ = await _member_with_booking(world)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D("500"))
    assert (r.state, r.points, r.booking_id) == (RedemptionState.HELD, D("500.00"), bid)
    hold = world.store.entries[-1]
    assert (hold.kind, hold.amount, hold.redemption_id) == (EntryKind.HOLD, D("-500.00"), r.id)
    assert world.balance(uid) == world.ledger_sum(uid) == D("500.00")
    assert world.booking(1).bonus_points == 0  # the booking's earned points are untouched
    page = await ListRedemptions(world.uow_factory)(uid)
    assert [x.id for x in page.items] == [r.id]


async def test_hold_is_capped_at_the_percent_of_the_price(world: World) -> None:
    uid, bid, _ = await _member_with_booking(world, balance="5000", price=2500)
    hold = HoldPoints(world.uow_factory, world.clock, max_percent=D(30))
    assert redemption_cap(D(2500), D(30)) == D("750.00")
    with pytest.raises(ValidationFailed, match=r"^points: more than 30% .*750\.00"):
        await hold(uid, bid, D("750.01"))
    await hold(uid, bid, D("750"))


async def test_hold_is_bounded_by_the_balance_and_refused_when_not_positive(
    world: World,
) -> None:
    uid, bid, _ = await _member_with_booking(world, balance="100")
    hold = HoldPoints(world.uow_factory, world.clock)
    with pytest.raises(ValidationFailed, match=r"^points: more than the balance"):
        await hold(uid, bid, D("100.01"))
    for bad in (D(0), D(-5)):
        with pytest.raises(ValidationFailed, match=r"^points: must be positive"):
            await hold(uid, bid, bad)
    await AdjustPoints(world.uow_factory, world.clock)(uid, D(-100), "spent", 99)
    with pytest.raises(ValidationFailed, match=r"^points: nothing to spend"):
        await hold(uid, bid, D(1))


async def test_one_active_hold_per_booking(world: World) -> None:
    uid, bid, _ = await _member_with_booking(world)
    hold = HoldPoints(world.uow_factory, world.clock)
    first = await hold(uid, bid, D(100))
    with pytest.raises(Conflict, match="active redemption"):
        await hold(uid, bid, D(100))
    assert world.balance(uid) == D("900.00")
    await ReleaseHold(world.uow_factory, world.clock)(uid, first.id)  # type: ignore[arg-type]
    await hold(uid, bid, D(200))  # released: a new one may be made
    assert world.balance(uid) == world.ledger_sum(uid) == D("800.00")


async def test_only_own_upcoming_bookings(world: World) -> None:
    uid, bid, record = await _member_with_booking(world)
    other = await world.user("other@example.com")
    hold = HoldPoints(world.uow_factory, world.clock)
    with pytest.raises(NotFound):
        await hold(other.id, bid, D(10))
    with pytest.raises(NotFound):
        await hold(uid, 12345, D(10))
    r = await hold(uid, bid, D(10))
    with pytest.raises(NotFound):
        await ReleaseHold(world.uow_factory, world.clock)(other.id, r.id)  # type: ignore[arg-type]
    await world.ingest.one(world.newer(record, status=BookingStatus.COMPLETED))
    await world.ingest.one(world.record(2, comment=f"Код клиента: {CODE}",
                                        status=BookingStatus.COMPLETED))  # fmt: skip
    with pytest.raises(ValidationFailed, match=r"^booking_id: the booking is COMPLETED"):
        await hold(uid, world.booking(2).id, D(10))  # type: ignore[arg-type]


async def test_capture_after_the_price_dropped_by_the_discount(world: World) -> None:
    uid, bid, record = await _member_with_booking(world, price=2500)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(500))
    # Staff enter the points as a discount: YClients' cost drops by them, then completes.
    discounted = world.newer(record, status=BookingStatus.COMPLETED)
    from src.domain.record import ServiceLine

    discounted = world.newer(discounted, services=(ServiceLine("Service", D(2000)),))
    await world.ingest.one(discounted)
    await world.ingest.one(discounted)  # duplicated webhook
    stored = world.store.redemptions[r.id]  # type: ignore[index]
    assert stored.state is RedemptionState.CAPTURED
    kinds = [e.kind for e in world.store.entries if e.redemption_id == r.id]
    assert kinds == [EntryKind.HOLD]  # captured as held: no new amount
    # Earned on the discounted price only (3 % of 2000), the held 500 stay spent.
    assert world.booking(1).bonus_points == D("60.00")
    assert world.balance(uid) == world.ledger_sum(uid) == D("560.00")
    with pytest.raises(Conflict):
        await ReleaseHold(world.uow_factory, world.clock)(uid, r.id)  # type: ignore[arg-type]


@pytest.mark.parametrize("how", ["cancelled", "no_show", "deleted"])
async def test_release_on_cancel_no_show_and_delete_once(world: World, how: str) -> None:
    uid, bid, record = await _member_with_booking(world)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(300))
    change = {
        "cancelled": {"status": BookingStatus.CANCELLED},
        "no_show": {"status": BookingStatus.NO_SHOW},
        "deleted": {"deleted": True},
    }[how]
    gone = world.newer(record, **change)
    await world.ingest.one(gone)
    await world.ingest([gone, gone])  # duplicates
    await world.ingest.one(record)  # and an older version replayed late
    assert world.store.redemptions[r.id].state is RedemptionState.RELEASED  # type: ignore[index]
    kinds = [e.kind for e in world.store.entries if e.redemption_id == r.id]
    assert kinds == [EntryKind.HOLD, EntryKind.RELEASE]
    assert world.balance(uid) == world.ledger_sum(uid) == D("1000.00")
    assert _held(world, uid) == 0


async def test_member_release_while_upcoming(world: World) -> None:
    uid, bid, _ = await _member_with_booking(world)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(300))
    release = ReleaseHold(world.uow_factory, world.clock)
    done = await release(uid, r.id)  # type: ignore[arg-type]
    assert done.state is RedemptionState.RELEASED
    with pytest.raises(Conflict, match="RELEASED"):
        await release(uid, r.id)  # type: ignore[arg-type]
    assert world.balance(uid) == world.ledger_sum(uid) == D("1000.00")


async def test_walk_in_redemption_is_bounded_by_the_balance(world: World) -> None:
    maria = await world.user(code=CODE)
    await AdjustPoints(world.uow_factory, world.clock)(maria.id, D(100), "gift", 99)
    redeem = RedeemPoints(world.uow_factory, world.clock)
    with pytest.raises(ValidationFailed, match=r"^points: more than the balance"):
        await redeem(maria.id, D("100.01"), "walk-in", admin_id=7)
    with pytest.raises(ValidationFailed, match=r"^points: must be positive"):
        await redeem(maria.id, D(0), "walk-in", admin_id=7)
    with pytest.raises(ValidationFailed, match=r"^reason:"):
        await redeem(maria.id, D(1), "  ", admin_id=7)
    with pytest.raises(NotFound):
        await redeem(999, D(1), "ghost", admin_id=7)
    with pytest.raises(NotFound):
        await redeem(maria.id, D(1), "not hers", admin_id=7, booking_id=4242)
    r = await redeem(maria.id, D(100), "walk-in", admin_id=7)
    assert (r.state, r.actor_id) == (RedemptionState.REDEEMED, 7)
    entry = world.store.entries[-1]
    assert (entry.kind, entry.amount, entry.actor_id) == (EntryKind.REDEMPTION, D("-100.00"), 7)
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("0.00")


async def test_reversal_after_spending_may_go_negative_and_blocks_holds(world: World) -> None:
    maria = await world.user(code=CODE)
    done = world.record(1, status=BookingStatus.COMPLETED, price=10000,
                        comment=f"Код клиента: {CODE}")  # fmt: skip
    await world.ingest.one(done)
    await RedeemPoints(world.uow_factory, world.clock)(maria.id, D(300), "walk-in", 7)
    await world.ingest.one(world.newer(done, status=BookingStatus.CANCELLED))
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("-300.00")
    await world.ingest.one(world.record(2, comment=f"Код клиента: {CODE}"))
    with pytest.raises(ValidationFailed, match=r"^points: nothing to spend"):
        await HoldPoints(world.uow_factory, world.clock)(maria.id, world.booking(2).id, D(1))  # type: ignore[arg-type]


async def test_checkout_list_shows_the_days_held_visits_in_salon_time(world: World) -> None:
    from datetime import timedelta

    from src.application.use_cases.redemptions import CheckoutList

    uid, bid, _ = await _member_with_booking(world)  # at clock + 10 days, UTC
    await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(200))
    day = world.booking(1).local_appointment_at.date()
    lines = await CheckoutList(world.uow_factory, world.clock)(day=day)
    assert [(x.redemption.points, x.booking.id, x.member.id) for x in lines] == [  # type: ignore[union-attr]
        (D("200.00"), bid, uid)
    ]
    assert await CheckoutList(world.uow_factory, world.clock)(day=day + timedelta(days=1)) == []
    assert await CheckoutList(world.uow_factory, world.clock)() == []  # not today
    captured = await CheckoutList(world.uow_factory, world.clock)(RedemptionState.CAPTURED, day)
    assert captured == []


async def test_relinking_a_booking_gives_the_old_members_hold_back(world: World) -> None:
    from src.application.use_cases.bookings import LinkBookingManually

    uid, bid, _ = await _member_with_booking(world)
    r = await HoldPoints(world.uow_factory, world.clock)(uid, bid, D(300))
    other = await world.user("other@example.com")
    await LinkBookingManually(world.uow_factory, world.clock, world.switches)(bid, other.id, 7)
    assert world.store.redemptions[r.id].state is RedemptionState.RELEASED  # type: ignore[index]
    assert world.balance(uid) == world.ledger_sum(uid) == D("1000.00")


async def test_relinking_a_zero_percent_visit_moves_its_spend(world: World) -> None:
    from src.application.use_cases.bookings import LinkBookingManually
    from src.domain.loyalty import LoyaltyLevel

    world.store.levels = [LoyaltyLevel("Basic", D(0), D(0)), LoyaltyLevel("Silver", D(5000), D(5))]
    maria = await world.user(code=CODE)
    await world.ingest.one(
        world.record(1, status=BookingStatus.COMPLETED, price=6000, comment=f"Код клиента: {CODE}")
    )
    other = await world.user("other@example.com")
    await LinkBookingManually(world.uow_factory, world.clock, world.switches)(
        world.booking(1).id,  # type: ignore[arg-type]
        other.id,
        7,
    )
    assert world.store.accounts[maria.id].completed_spend == 0
    assert world.store.accounts[other.id].completed_spend == D("6000.00")
    assert world.store.entries == []
