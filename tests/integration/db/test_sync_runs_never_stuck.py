"""Sync runs never stuck, never twice, on real databases: the conditional claim (of two
workers handed the same run, one syncs), the reaper's statements, and the final save of a
run cancelled at shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.adapters.sync_lock import LocalSyncLock
from src.application.ports.request_budget import Priority
from src.application.ports.yclients import RecordPage
from src.application.switches import Switches
from src.application.use_cases.sync import CANCELLED_MESSAGE, SyncBookings
from src.application.use_cases.sync_reaper import ReapSyncRuns
from src.application.use_cases.sync_schedule import RequestSync
from src.domain.sync_run import WORKER_LOST, RunStatus, SyncRun
from tests.fakes.clock import FakeClock
from tests.fakes.tasks import FakeQueue
from tests.fakes.yclients import FakeGateway
from tests.integration.db.helpers import COMPANY

STALE = timedelta(minutes=5)


@pytest.fixture(params=["postgres", "sqlite"])
def sql_uow_factory(request: pytest.FixtureRequest) -> SqlUnitOfWorkFactory:
    name = "pg_uow_factory" if request.param == "postgres" else "sqlite_uow_factory"
    return request.getfixturevalue(name)


class SlowGateway(FakeGateway):
    """One empty page after `delay` seconds; counts the syncs that asked for pages."""

    def __init__(self, delay: float = 0.0, forever: bool = False) -> None:
        super().__init__()
        self.delay, self.forever = delay, forever
        self.entered = asyncio.Event()
        self.syncs = 0

    async def record_pages(
        self,
        company_id: int,
        start: date,
        end: date,
        changed_after: datetime | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[RecordPage]:
        self.syncs += 1
        self.entered.set()
        await asyncio.sleep(self.delay)
        if self.forever:
            await asyncio.Event().wait()
        yield RecordPage(records=[])


def sync(factory: SqlUnitOfWorkFactory, gateway: FakeGateway, clock: FakeClock) -> SyncBookings:
    # Each its own lock: as two workers that both got past the company lock.
    return SyncBookings(factory, gateway, clock, LocalSyncLock(), Switches(), heartbeat_every=0.05)


async def queued(factory: SqlUnitOfWorkFactory, clock: FakeClock) -> SyncRun:
    request = RequestSync(factory, FakeQueue(), clock, Switches(), [COMPANY])
    [run] = await request()
    return run


async def get(factory: SqlUnitOfWorkFactory, run_id: int) -> SyncRun:
    async with factory() as uow:
        run = await uow.sync_runs.get(run_id)
    assert run is not None
    return run


async def test_sync_task_redelivered_while_its_run_is_alive_neither_syncs_nor_touches_it(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock, gateway = FakeClock(), SlowGateway(delay=0.5)
    run = await queued(pg_uow_factory, clock)
    first = asyncio.create_task(sync(pg_uow_factory, gateway, clock)(COMPANY, "manual", run.id))
    await asyncio.wait_for(gateway.entered.wait(), 5)
    live = await get(pg_uow_factory, run.id)  # type: ignore[arg-type]
    assert live.status is RunStatus.RUNNING
    again = await sync(pg_uow_factory, gateway, clock)(COMPANY, "manual", run.id)
    assert again.status is RunStatus.RUNNING and gateway.syncs == 1
    assert await get(pg_uow_factory, run.id) == live  # type: ignore[arg-type]
    done = await first
    assert done.status is RunStatus.SUCCEEDED
    assert (await get(pg_uow_factory, run.id)).status is RunStatus.SUCCEEDED  # type: ignore[arg-type]


async def test_two_workers_handed_one_queued_run_at_once_sync_it_once(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock, gateway = FakeClock(), SlowGateway(delay=0.2)
    for _ in range(5):
        run = await queued(pg_uow_factory, clock)
        results = await asyncio.gather(
            *(sync(pg_uow_factory, gateway, clock)(COMPANY, "manual", run.id) for _ in range(4))
        )
        assert sorted(r.status.value for r in results).count("SUCCEEDED") == 1
    assert gateway.syncs == 5


async def test_stuck_sync_runs_are_failed_or_requeued_by_the_reaper(
    sql_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock, queue = FakeClock(), FakeQueue()
    t0 = clock.now()
    async with sql_uow_factory() as uow:
        lost = await uow.sync_runs.add(SyncRun(COMPANY, "schedule", t0, heartbeat_at=t0))
        forgotten = await uow.sync_runs.add(SyncRun(COMPANY, "manual", t0, status=RunStatus.QUEUED))
        alive = await uow.sync_runs.add(
            SyncRun(42, "schedule", t0, heartbeat_at=t0 + timedelta(minutes=4))
        )
        done = await uow.sync_runs.add(
            SyncRun(42, "schedule", t0, status=RunStatus.SUCCEEDED, finished_at=t0)
        )
        await uow.commit()
    clock.advance(minutes=6)
    reap = ReapSyncRuns(sql_uow_factory, queue, clock, Switches(), STALE)
    assert await reap() == (1, 1)
    got = await get(sql_uow_factory, lost.id)  # type: ignore[arg-type]
    assert (got.status, got.error, got.finished_at) == (RunStatus.FAILED, WORKER_LOST, clock.now())
    assert queue.syncs == [(COMPANY, "manual", forgotten.id)]
    assert (await get(sql_uow_factory, forgotten.id)).heartbeat_at == clock.now()  # type: ignore[arg-type]
    assert (await get(sql_uow_factory, alive.id)).status is RunStatus.RUNNING  # type: ignore[arg-type]
    assert (await get(sql_uow_factory, done.id)).status is RunStatus.SUCCEEDED  # type: ignore[arg-type]
    assert await reap() == (0, 0)


async def test_sync_run_cancelled_at_shutdown_saves_its_final_state(
    sql_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    clock, gateway = FakeClock(), SlowGateway(forever=True)
    run = await queued(sql_uow_factory, clock)
    task = asyncio.create_task(sync(sql_uow_factory, gateway, clock)(COMPANY, "manual", run.id))
    await asyncio.wait_for(gateway.entered.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    got = await get(sql_uow_factory, run.id)  # type: ignore[arg-type]
    assert (got.status, got.error) == (RunStatus.FAILED, CANCELLED_MESSAGE)
    assert got.finished_at is not None
