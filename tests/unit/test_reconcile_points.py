"""Issue 13 item 6: loyalty switched back on. Bookings cancelled or completed while
`LOYALTY_ENABLED=false`, outside the sync window, are brought in line by ReconcilePoints."""

from __future__ import annotations

from decimal import Decimal

from src.application.use_cases.reconcile_points import LOYALTY_SWITCH, ReconcilePoints
from src.domain.booking import BookingStatus
from src.domain.loyalty import EntryKind
from tests.unit.conftest import World

D = Decimal
CODE = "Код клиента: ABC23456"


def reconciler(world: World, batch_size: int = 500) -> ReconcilePoints:
    return ReconcilePoints(world.uow_factory, world.clock, world.switches, batch_size=batch_size)


async def test_booking_cancelled_while_loyalty_off_keeps_no_points_after_reconcile(
    world: World,
) -> None:
    maria = await world.user(code="ABC23456")
    done = world.record(status=BookingStatus.COMPLETED, comment=CODE)
    await world.ingest.one(done)
    world.switches.loyalty_enabled = False
    await world.ingest.one(world.newer(done, status=BookingStatus.CANCELLED))
    assert world.balance(maria.id) == D("75.00")  # the cancel wrote nothing while off
    world.switches.loyalty_enabled = True  # and no sync sees the (old) booking again

    first = await reconciler(world)()
    again = await reconciler(world)()

    kinds = [e.kind for e in world.booking_entries(world.booking().id)]
    assert kinds == [EntryKind.ACCRUAL, EntryKind.REVERSAL]  # exactly once
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("0.00")
    assert first.points == D("-75.00") and again.points == D("0")


async def test_visit_completed_while_loyalty_off_is_credited_after_reconcile(
    world: World,
) -> None:
    maria = await world.user(code="ABC23456")
    world.switches.loyalty_enabled = False
    await world.ingest.one(world.record(status=BookingStatus.COMPLETED, comment=CODE))
    world.switches.loyalty_enabled = True

    await reconciler(world)()
    await reconciler(world)()

    assert [e.kind for e in world.store.entries] == [EntryKind.ACCRUAL]
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("75.00")


async def test_every_booking_is_reached_in_batches(world: World) -> None:
    maria = await world.user(code="ABC23456")
    world.switches.loyalty_enabled = False
    for record_id in range(1, 6):
        await world.ingest.one(
            world.record(record_id, status=BookingStatus.COMPLETED, comment=CODE)
        )
    world.switches.loyalty_enabled = True

    result = await reconciler(world, batch_size=2)()

    assert result.batches == 3 and result.checked == 5
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("375.00")


async def test_startup_run_happens_only_when_the_switch_changed(world: World) -> None:
    await world.user(code="ABC23456")
    world.switches.loyalty_enabled = False
    await world.ingest.one(world.record(status=BookingStatus.COMPLETED, comment=CODE))
    run = reconciler(world)

    off = await run(only_if_switch_changed=True)  # nothing recorded yet: runs, writes nothing
    assert not off.skipped and world.store.entries == []
    assert world.store.app_state[LOYALTY_SWITCH] == "false"
    assert (await run(only_if_switch_changed=True)).skipped

    world.switches.loyalty_enabled = True
    on = await run(only_if_switch_changed=True)
    assert not on.skipped and on.points == D("75.00")
    assert world.store.app_state[LOYALTY_SWITCH] == "true"
    assert (await run(only_if_switch_changed=True)).skipped
