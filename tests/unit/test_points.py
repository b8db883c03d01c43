"""Points: COMPLETED + linked + loyalty on → price/100*percent, exactly once, as a ledger."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.domain.booking import BookingStatus
from src.domain.loyalty import EntryKind, LoyaltyLevel
from tests.unit.conftest import World

D = Decimal


async def test_completed_visit_earns_points_once(world: World) -> None:
    maria = await world.user(code="ABC23456")
    done = world.record(status=BookingStatus.COMPLETED, comment="Код клиента: ABC23456")
    await world.ingest.one(done)
    await world.ingest.one(done)  # duplicate webhook
    await world.ingest([done, done])  # and a sync page holding it twice
    b = world.booking()
    entries = world.booking_entries(b.id)
    assert [(e.kind, e.amount, e.percent) for e in entries] == [
        (EntryKind.ACCRUAL, D("75.00"), D("3"))
    ]
    assert b.loyalty_bonuses_awarded and b.bonus_points == D("75.00")
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("75.00")


@pytest.mark.parametrize("status", [BookingStatus.PENDING, BookingStatus.CONFIRMED])
async def test_not_completed_earns_nothing(world: World, status: BookingStatus) -> None:
    await world.user(code="ABC23456")
    await world.ingest.one(world.record(status=status, comment="Код клиента: ABC23456"))
    assert world.store.entries == []
    assert not world.booking().loyalty_bonuses_awarded


async def test_unlinked_completed_earns_nothing_until_linked(world: World) -> None:
    done = world.record(status=BookingStatus.COMPLETED, email="late@example.com")
    await world.ingest.one(done)
    assert world.store.entries == []
    late = await world.user("late@example.com")
    await world.ingest.one(done)
    assert world.balance(late.id) == D("75.00")


async def test_loyalty_disabled_then_enabled(world: World) -> None:
    maria = await world.user(code="ABC23456")
    world.switches.loyalty_enabled = False
    done = world.record(status=BookingStatus.COMPLETED, comment="Код клиента: ABC23456")
    await world.ingest.one(done)
    assert world.booking().status is BookingStatus.COMPLETED
    assert world.store.entries == [] and not world.booking().loyalty_bonuses_awarded
    world.switches.loyalty_enabled = True
    counts = await world.ingest.one(done)  # the next sync
    assert counts.points_awarded == D("75.00")
    assert world.balance(maria.id) == D("75.00")


@pytest.mark.parametrize(
    "change",
    [
        {"status": BookingStatus.CANCELLED},
        {"status": BookingStatus.NO_SHOW},
        {"deleted": True},
    ],
)
async def test_reversal_after_completion(world: World, change: dict) -> None:  # type: ignore[type-arg]
    maria = await world.user(code="ABC23456")
    done = world.record(status=BookingStatus.COMPLETED, comment="Код клиента: ABC23456")
    await world.ingest.one(done)
    undone = world.newer(done, **change)
    await world.ingest.one(undone)
    await world.ingest.one(undone)
    kinds = [e.kind for e in world.booking_entries(world.booking().id)]
    assert kinds == [EntryKind.ACCRUAL, EntryKind.REVERSAL]
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("0.00")
    assert not world.booking().loyalty_bonuses_awarded


async def test_older_record_changes_nothing(world: World) -> None:
    maria = await world.user(code="ABC23456")
    pending = world.record(status=BookingStatus.PENDING, comment="Код клиента: ABC23456")
    done = world.newer(pending, status=BookingStatus.COMPLETED, services=pending.services)
    await world.ingest.one(done)
    before = world.booking().copy()
    counts = await world.ingest.one(pending)  # a late webhook of the older version
    assert counts.unchanged == 1
    assert world.booking() == before
    assert world.balance(maria.id) == D("75.00")


async def test_percent_comes_from_level_at_completion_and_is_frozen(world: World) -> None:
    maria = await world.user(code="ABC23456")
    world.store.levels = [
        LoyaltyLevel("Bronze", D("0"), D("3")),
        LoyaltyLevel("Silver", D("3000"), D("5")),
    ]
    c = "Код клиента: ABC23456"
    first = world.record(1, status=BookingStatus.COMPLETED, comment=c, price="2500")
    second = world.record(2, status=BookingStatus.COMPLETED, comment=c, price="1000")
    third = world.record(3, status=BookingStatus.COMPLETED, comment=c, price="1000")
    for r in (first, second, third):
        await world.ingest.one(r)
    percents = [e.percent for e in world.store.entries]
    # 0 → Bronze (2500 at 3%), 2500 → still Bronze (1000 at 3%), 3500 → Silver (1000 at 5%)
    assert percents == [D("3"), D("3"), D("5")]
    assert world.balance(maria.id) == D("75.00") + D("30.00") + D("50.00")
    # a later price change keeps the frozen 3% of the first visit
    await world.ingest.one(world.newer(first, services=third.services))
    assert world.store.entries[-1].amount == D("-45.00")
    assert world.store.entries[-1].percent == D("3")


async def test_flag_matches_ledger(world: World) -> None:
    await world.user(code="ABC23456")
    r = world.record(status=BookingStatus.COMPLETED, comment="Код клиента: ABC23456")
    await world.ingest.one(r)
    for b in world.store.bookings.values():
        total = sum((e.amount for e in world.booking_entries(b.id)), D("0"))
        assert b.loyalty_bonuses_awarded == (total > 0)
        assert b.bonus_points == total
