"""The scheduler's side of the salons table (issue 22 item 4) on PostgreSQL and SQLite: the
tick's claim moves due salons to their slots (one statement on PostgreSQL whatever the number
of salons; concurrent ticks claim disjoint salons), and the backoff counters."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.uow import UnitOfWorkFactory
from src.application.switches import Switches
from src.application.use_cases.sync_schedule import SyncActiveSalons
from src.domain.salon import Salon, SalonStatus
from src.domain.sync_schedule import next_slot
from tests.fakes.clock import FakeClock
from tests.fakes.tasks import FakeQueue

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=30)


async def _add(factory: UnitOfWorkFactory, companies: range) -> None:
    async with factory() as uow:
        for company in companies:
            salon, _ = Salon.create(company, f"S{company}", region="RU",
                                    timezone="Europe/Moscow", now=T0)  # fmt: skip
            await uow.salons.add_if_missing(salon)
        await uow.commit()


async def _slots(factory: UnitOfWorkFactory) -> dict[int, tuple[int, datetime | None]]:
    async with factory() as uow:
        return {s.company_id: (s.id or 0, s.next_sync_at) for s in await uow.salons.all()}


async def test_the_claim_moves_due_salons_to_their_next_slot(
    uow_factory: UnitOfWorkFactory,
) -> None:
    factory = uow_factory
    await _add(factory, range(1, 21))
    async with factory() as uow:
        paused = await uow.salons.get(20)
        assert paused is not None
        paused.status = SalonStatus.PAUSED
        await uow.salons.save(paused)
        # Never scheduled: each gets its slot, none is due yet.
        assert await uow.salons.claim_due(T0, INTERVAL) == []
        await uow.commit()
    slots = await _slots(factory)
    assert slots[20][1] is None
    for company in range(1, 20):
        salon_id, at = slots[company]
        assert at is not None
        assert abs(at - next_slot(salon_id, T0, INTERVAL)) < timedelta(milliseconds=1)
    first = min(at for _, at in slots.values() if at)
    async with factory() as uow:
        assert await uow.salons.claim_due(first - timedelta(seconds=1), INTERVAL) == []
        claimed = await uow.salons.claim_due(first, INTERVAL)
        assert len(claimed) == 1
        # Late by more than an interval (the scheduler was down): each salon comes once,
        # and moves to its slot after now, not to a slot already past.
        later = T0 + 3 * INTERVAL
        assert await uow.salons.claim_due(later, INTERVAL) == list(range(1, 20))
        assert await uow.salons.claim_due(later, INTERVAL) == []
        await uow.commit()
    for company, (salon_id, at) in (await _slots(factory)).items():
        if company != 20:
            assert at is not None and later < at <= later + INTERVAL
            assert abs(at - next_slot(salon_id, later, INTERVAL)) < timedelta(milliseconds=1)


async def test_failures_are_counted_deferred_and_reset(uow_factory: UnitOfWorkFactory) -> None:
    factory = uow_factory
    await _add(factory, range(1, 3))
    async with factory() as uow:
        await uow.salons.claim_due(T0, INTERVAL)
        assert await uow.salons.sync_failed(1) == 1
        assert await uow.salons.sync_failed(1) == 2
        assert await uow.salons.sync_failed(999) == 0  # not a salon (YCLIENTS_COMPANY_IDS only)
        await uow.salons.defer_sync(1, T0 + timedelta(hours=2))
        await uow.salons.defer_sync(1, T0 + timedelta(hours=1))  # never earlier
        await uow.commit()
    async with factory() as uow:
        one, two = await uow.salons.get(1), await uow.salons.get(2)
        assert one is not None and two is not None
        assert (one.sync_failures, one.next_sync_at) == (2, T0 + timedelta(hours=2))
        assert two.sync_failures == 0
        # An admin's edit keeps the scheduler's columns.
        await uow.salons.save(one)
        await uow.salons.sync_succeeded(1)
        await uow.commit()
    async with factory() as uow:
        one = await uow.salons.get(1)
        assert one is not None
        assert (one.sync_failures, one.next_sync_at) == (0, T0 + timedelta(hours=2))


def _counting(engine: AsyncEngine) -> tuple[list[str], Any]:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    return statements, record


async def test_a_tick_is_one_statement_whatever_the_number_of_salons(
    pg_uow_factory: SqlUnitOfWorkFactory, pg_engine: AsyncEngine
) -> None:
    clock = FakeClock(T0)
    queue = FakeQueue()
    tick = SyncActiveSalons(pg_uow_factory, queue, clock, Switches(), INTERVAL)
    counts: dict[int, int] = {}
    enqueued: dict[int, int] = {}
    for n, first in ((10, 1), (990, 11)):
        await _add(pg_uow_factory, range(first, first + n))
        await tick()  # the new ones get their slots
        clock.current += INTERVAL  # every salon is due now
        statements, record = _counting(pg_engine)
        before = len(queue.syncs)
        try:
            await tick()
        finally:
            event.remove(pg_engine.sync_engine, "before_cursor_execute", record)
        total = first + n - 1
        counts[total] = len(statements)
        enqueued[total] = len(queue.syncs) - before
        assert sum("salons" in s for s in statements) == 1, statements
    assert enqueued == {10: 10, 1000: 1000}
    assert counts[10] == counts[1000], counts


async def test_concurrent_ticks_claim_disjoint_salons(pg_uow_factory: SqlUnitOfWorkFactory) -> None:
    await _add(pg_uow_factory, range(1, 201))
    async with pg_uow_factory() as uow:
        await uow.salons.claim_due(T0, INTERVAL)
        await uow.commit()
    due = T0 + INTERVAL

    async def claim() -> list[int]:
        async with pg_uow_factory() as uow:
            got = await uow.salons.claim_due(due, INTERVAL)
            await asyncio.sleep(0.05)  # hold the row locks while the other claims
            await uow.commit()
        return got

    a, b = await asyncio.gather(claim(), claim())
    assert not set(a) & set(b)
    assert sorted(a + b) == list(range(1, 201))
