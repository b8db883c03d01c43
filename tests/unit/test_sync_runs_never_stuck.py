"""Sync runs never stay stuck and never run twice: heartbeat, reaper, redelivered tasks and
cancellation at shutdown (use cases over fakes; PostgreSQL and real processes elsewhere)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from src.application.ports.request_budget import Priority
from src.application.ports.yclients import RecordPage
from src.application.use_cases.sync import CANCELLED_MESSAGE
from src.application.use_cases.sync_reaper import ReapSyncRuns
from src.application.use_cases.sync_schedule import RequestSync
from src.domain.sync_run import WORKER_LOST, RunStatus, SyncRun
from tests.fakes.tasks import FakeQueue
from tests.fakes.yclients import FakeGateway
from tests.unit.conftest import World

COMPANY = 873456
STALE = timedelta(minutes=5)


async def queued_run(world: World) -> SyncRun:
    [run] = await RequestSync(
        world.uow_factory, FakeQueue(), world.clock, world.switches, [COMPANY]
    )()
    return run


async def set_run(world: World, run: SyncRun) -> None:
    async with world.uow_factory() as uow:
        await uow.sync_runs.save(run)
        await uow.commit()


@pytest.mark.parametrize("lock_held", [False, True])
async def test_sync_task_redelivered_while_its_run_is_alive_neither_syncs_nor_touches_the_run(
    world: World, lock_held: bool
) -> None:
    world.gateway.put(world.record(1, appointment_at=world.clock.now()))
    run = await queued_run(world)
    started = world.clock.now()
    world.clock.advance(minutes=2)  # TASK_REDELIVERY_SECONDS later, the heartbeat fresh
    live = SyncRun(
        COMPANY, "manual", started, status=RunStatus.RUNNING, id=run.id,
        heartbeat_at=world.clock.now() - timedelta(seconds=20),
    )  # fmt: skip
    live.counts.fetched = 400
    await set_run(world, live)
    if lock_held:
        world.lock.held.add(COMPANY)  # the live sync holds the company's lock
    got = await world.sync()(COMPANY, "manual", run.id)
    assert world.gateway.requests == 0  # no second sync
    assert world.store.runs[run.id] == live  # type: ignore[index]
    assert got.status is RunStatus.RUNNING


async def test_sync_task_for_a_finished_run_leaves_it_alone(world: World) -> None:
    world.gateway.put(world.record(1, appointment_at=world.clock.now()))
    run = await queued_run(world)
    done = await world.sync()(COMPANY, "manual", run.id)
    assert done.status is RunStatus.SUCCEEDED
    again = await world.sync()(COMPANY, "manual", run.id)  # redelivered after it finished
    assert again.status is RunStatus.SUCCEEDED and world.gateway.requests == 1
    assert world.store.runs[run.id].status is RunStatus.SUCCEEDED  # type: ignore[index]


async def test_a_queued_run_is_still_skipped_while_another_sync_runs(world: World) -> None:
    run = await queued_run(world)
    world.lock.held.add(COMPANY)
    got = await world.sync()(COMPANY, "manual", run.id)
    assert got.status is RunStatus.SKIPPED
    assert world.store.runs[run.id].status is RunStatus.SKIPPED  # type: ignore[index]


async def test_a_run_whose_worker_is_lost_is_taken_over_by_its_redelivered_task(
    world: World,
) -> None:
    run = await queued_run(world)
    dead = SyncRun(
        COMPANY, "manual", world.clock.now(), status=RunStatus.RUNNING, id=run.id,
        heartbeat_at=world.clock.now(),
    )  # fmt: skip
    await set_run(world, dead)
    world.clock.advance(minutes=6)
    got = await world.sync()(COMPANY, "manual", run.id)
    assert got.id == run.id and got.status is RunStatus.SUCCEEDED


class BlockingGateway(FakeGateway):
    def __init__(self) -> None:
        super().__init__()
        self.entered = asyncio.Event()

    async def record_pages(
        self,
        company_id: int,
        start: date,
        end: date,
        changed_after: datetime | None = None,
        *,
        priority: Priority = Priority.BACKGROUND,
    ) -> AsyncIterator[RecordPage]:
        self.entered.set()
        await asyncio.Event().wait()  # a page that never comes
        yield RecordPage(records=[])


async def test_sync_run_cancelled_at_shutdown_saves_its_final_state(world: World) -> None:
    world.gateway = BlockingGateway()
    run = await queued_run(world)
    task = asyncio.create_task(world.sync()(COMPANY, "manual", run.id))
    await asyncio.wait_for(world.gateway.entered.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    saved = world.store.runs[run.id]  # type: ignore[index]
    assert (saved.status, saved.error) == (RunStatus.FAILED, CANCELLED_MESSAGE)
    assert saved.finished_at is not None


async def test_running_sync_writes_heartbeats(world: World) -> None:
    world.gateway = BlockingGateway()
    run = await queued_run(world)
    task = asyncio.create_task(world.sync(heartbeat_every=0.01)(COMPANY, "manual", run.id))  # type: ignore[arg-type]
    await asyncio.wait_for(world.gateway.entered.wait(), 5)
    world.clock.advance(minutes=1)
    await asyncio.sleep(0.1)
    assert world.store.runs[run.id].heartbeat_at == world.clock.now()  # type: ignore[index]
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_stuck_sync_runs_reaper_fails_lost_runs_and_requeues_forgotten_ones(
    world: World,
) -> None:
    queue = FakeQueue()
    reap = ReapSyncRuns(world.uow_factory, queue, world.clock, world.switches, STALE)
    t0 = world.clock.now()
    async with world.uow_factory() as uow:
        lost = await uow.sync_runs.add(SyncRun(COMPANY, "schedule", t0, heartbeat_at=t0))
        forgotten = await uow.sync_runs.add(SyncRun(COMPANY, "manual", t0, status=RunStatus.QUEUED))
        await uow.commit()
    world.clock.advance(minutes=4)
    async with world.uow_factory() as uow:
        alive = await uow.sync_runs.add(SyncRun(42, "schedule", t0, heartbeat_at=world.clock.now()))
        fresh = await uow.sync_runs.add(
            SyncRun(42, "manual", world.clock.now(), status=RunStatus.QUEUED)
        )
        await uow.commit()
    assert await reap() == (0, 0)  # nothing silent for 5 minutes yet
    world.clock.advance(minutes=2)
    assert await reap() == (1, 1)
    runs = world.store.runs
    assert (runs[lost.id].status, runs[lost.id].error) == (RunStatus.FAILED, WORKER_LOST)  # type: ignore[index]
    assert runs[lost.id].finished_at == world.clock.now()  # type: ignore[index]
    assert queue.syncs == [(COMPANY, "manual", forgotten.id)]
    assert runs[forgotten.id].status is RunStatus.QUEUED  # type: ignore[index]
    assert runs[alive.id].status is RunStatus.RUNNING  # type: ignore[index]
    assert runs[fresh.id].status is RunStatus.QUEUED  # type: ignore[index]
    assert await reap() == (0, 0)  # the requeued run counts as seen now


@pytest.mark.parametrize(("silent_for", "taken_over"), [(61, True), (59, False)])
async def test_redelivered_sync_task_takes_over_a_run_silent_for_two_beats_not_a_fresh_one(
    world: World, silent_for: int, taken_over: bool
) -> None:
    """Issue 22 item 6: a killed worker's manual sync was left RUNNING until the reaper failed
    it after SYNC_STALE_MINUTES, and nothing finished it. Two missed beats (30 s each) are
    enough for the redelivered task to take it over; a run that beat 59 s ago is alive."""
    world.gateway.put(world.record(1, appointment_at=world.clock.now()))
    run = await queued_run(world)
    beaten = SyncRun(
        COMPANY, "manual", world.clock.now(), status=RunStatus.RUNNING, id=run.id,
        heartbeat_at=world.clock.now(),
    )  # fmt: skip
    await set_run(world, beaten)
    world.clock.advance(seconds=silent_for)
    got = await world.sync(heartbeat_every=30)(COMPANY, "manual", run.id)
    stored = world.store.runs[run.id]  # type: ignore[index]
    if taken_over:
        assert got.id == run.id and got.status is RunStatus.SUCCEEDED
        assert stored.status is RunStatus.SUCCEEDED and stored.counts.fetched == 1
        assert world.gateway.requests == 1
    else:
        assert got.status is RunStatus.RUNNING and stored == beaten
        assert world.gateway.requests == 0


async def test_reaper_enqueues_again_the_run_it_failed_once(world: World) -> None:
    """Issue 22 item 6: the reaper failed a lost run and nothing ran it again until the next
    cycle. Now a new run of the same kind for the same company is queued in its place; the
    retry finishes the sync; a retry that is lost too is only failed (no endless loop)."""
    queue = FakeQueue()
    reap = ReapSyncRuns(world.uow_factory, queue, world.clock, world.switches, STALE)
    world.gateway.put(world.record(1, appointment_at=world.clock.now()))
    t0 = world.clock.now()
    async with world.uow_factory() as uow:
        lost = await uow.sync_runs.add(SyncRun(COMPANY, "schedule", t0, heartbeat_at=t0))
        await uow.commit()
    world.clock.advance(minutes=6)
    assert await reap() == (1, 1)
    [(company, trigger, retry_id)] = queue.syncs
    assert (company, trigger) == (COMPANY, "schedule")
    retry = world.store.runs[retry_id]  # type: ignore[index]
    assert (retry.status, retry.retry_of) == (RunStatus.QUEUED, lost.id)
    assert world.store.runs[lost.id].status is RunStatus.FAILED  # type: ignore[index]
    assert await reap() == (0, 0)  # once

    # The queued retry's task runs: the company is synced after all.
    done = await world.sync()(company, trigger, retry_id)
    assert done.status is RunStatus.SUCCEEDED and world.gateway.requests == 1

    # A retry whose worker is lost as well is failed, not queued a third time.
    async with world.uow_factory() as uow:
        await uow.sync_runs.save(
            replace(
                done, status=RunStatus.RUNNING, finished_at=None, heartbeat_at=world.clock.now()
            )
        )
        await uow.commit()
    world.clock.advance(minutes=6)
    assert await reap() == (1, 0)
    assert len(queue.syncs) == 1


async def test_reaper_does_not_retry_a_lost_run_a_newer_run_covers(world: World) -> None:
    queue = FakeQueue()
    reap = ReapSyncRuns(world.uow_factory, queue, world.clock, world.switches, STALE)
    t0 = world.clock.now()
    async with world.uow_factory() as uow:
        await uow.sync_runs.add(SyncRun(COMPANY, "schedule", t0, heartbeat_at=t0))
        world.clock.advance(minutes=6)
        await uow.sync_runs.add(
            SyncRun(COMPANY, "schedule", t0, status=RunStatus.SUCCEEDED, finished_at=t0)
        )
        await uow.commit()
    assert await reap() == (1, 0)
    assert queue.syncs == []
