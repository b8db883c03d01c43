"""SyncBookings: pull a company's records for the window from YClients and ingest them."""

from __future__ import annotations

import asyncio
import builtins
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from src.application.errors import AppError, ValidationFailed, YClientsDisabled, describe_error
from src.application.ports import (
    Clock,
    Page,
    RecordPage,
    SyncLock,
    TaskQueue,
    UnitOfWorkFactory,
    YClientsGateway,
)
from src.application.switches import Switches
from src.application.use_cases.award import AwardBonus
from src.application.use_cases.ingest import IngestRecords
from src.domain.quarantine import QuarantinedRecord
from src.domain.sync_run import WORKER_LOST, RunStatus, SyncCounts, SyncRun

log = logging.getLogger(__name__)

# Pages fetched ahead of the writer: fetching page n+1 overlaps writing page n, and memory
# stays bounded by this many pages whatever the window holds.
PREFETCH_PAGES = 2
# Pages written at once, each in its own transaction: while the database works on one page,
# this process prepares the next. Pages of one window share no key (unless YClients shifts
# the window while we page: then one writer waits for the other's row locks, or retries
# after a deadlock), and accounts are locked in user order, so the outcome never depends on
# which page commits first.
WRITERS = 2
DISABLED_MESSAGE = "YClients integration is disabled (YCLIENTS_ENABLED=false)"
CANCELLED_MESSAGE = "cancelled: the worker shut down"


class SyncBookings:
    """One run per company: a `sync_runs` row with counts; never two at once per company.

    A running sync writes a heartbeat every `heartbeat_every` seconds. A task naming a run
    (`run_id`) claims it only while it is QUEUED, or RUNNING without a heartbeat for
    `stale_after` (its worker is gone): a redelivered task whose run is alive neither syncs
    again nor touches that run's row."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        gateway: YClientsGateway,
        clock: Clock,
        lock: SyncLock,
        switches: Switches,
        *,
        past_days: int = 30,
        future_days: int = 60,
        heartbeat_every: float = 30.0,
        stale_after: timedelta = timedelta(minutes=5),
    ) -> None:
        self.uow_factory = uow_factory
        self.gateway = gateway
        self.clock = clock
        self.lock = lock
        self.switches = switches
        self.past_days = past_days
        self.future_days = future_days
        self.heartbeat_every = heartbeat_every
        self.stale_after = stale_after

    async def __call__(
        self, company_id: int, trigger: str = "manual", run_id: int | None = None
    ) -> SyncRun:
        """Run a sync now. `run_id` names a QUEUED run (from `RequestSync`) to fill in."""
        if not self.switches.yclients_enabled:
            raise YClientsDisabled(DISABLED_MESSAGE)
        async with self.lock.hold(company_id) as acquired:
            if not acquired:
                return await self._skipped(company_id, trigger, run_id)
            run, claimed = await self._start(company_id, trigger, run_id)
            if not claimed:
                return _left_alone(run)
            return await self._run(run)

    async def _start(
        self, company_id: int, trigger: str, run_id: int | None
    ) -> tuple[SyncRun, bool]:
        """The run to fill in, and whether this task owns it now."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            run = await uow.sync_runs.get(run_id) if run_id is not None else None
            if run is None:
                new = SyncRun(company_id, trigger, started_at=now, heartbeat_at=now)
                run = await uow.sync_runs.add(new)
                await uow.commit()
                return run, True
            mine = replace(
                run, status=RunStatus.RUNNING, started_at=now, heartbeat_at=now,
                finished_at=None, error=None, counts=SyncCounts(),
            )  # fmt: skip
            claimed = await uow.sync_runs.save_if(mine, RunStatus.QUEUED) or (
                run.status is RunStatus.RUNNING
                and await uow.sync_runs.save_if(mine, RunStatus.RUNNING, self._stale_before())
            )
            await uow.commit()
        return (mine, True) if claimed else (run, False)

    def _stale_before(self) -> datetime:
        return self.clock.now() - self.stale_after

    async def _beat(self, run_id: int) -> None:
        """The run's heartbeat, until cancelled; a missed beat is only logged."""
        while True:
            await asyncio.sleep(self.heartbeat_every)
            try:
                async with self.uow_factory() as uow:
                    await uow.sync_runs.heartbeat(run_id, self.clock.now())
                    await uow.commit()
            except Exception:
                log.warning("sync_heartbeat_failed", extra={"run_id": run_id}, exc_info=True)

    async def _run(self, run: SyncRun) -> SyncRun:
        company_id = run.company_id
        now = run.started_at
        async with self.uow_factory() as uow:
            levels = await uow.levels.all()
        ingest = IngestRecords(self.uow_factory, self.clock, self.switches, AwardBonus(levels))
        # YClients filters by the company's local calendar date; one extra day each side
        # covers any UTC offset without knowing the company's timezone.
        start = (now - timedelta(days=self.past_days + 1)).date()
        end = (now + timedelta(days=self.future_days + 1)).date()
        pages: asyncio.Queue[RecordPage | None] = asyncio.Queue(maxsize=PREFETCH_PAGES)
        producer = asyncio.create_task(self._fetch(company_id, start, end, pages))
        beat = asyncio.create_task(self._beat(run.id))  # type: ignore[arg-type]
        writing: set[asyncio.Task[SyncCounts]] = set()
        cancelled: asyncio.CancelledError | None = None
        try:
            while (page := await pages.get()) is not None:
                for err in page.errors:
                    log.warning(
                        "record_undecodable",
                        extra={"company_id": company_id, "record_id": err.record_id,
                               "field": err.field, "reason": err.reason},
                    )  # fmt: skip
                # Set aside where we know which record it was, so staff can see it.
                await ingest.quarantine([
                    QuarantinedRecord(company_id, int(err.record_id), "sync",
                                      f"could not be read: {err.reason}", now, err.field)
                    for err in page.errors if err.record_id and err.record_id.isdigit()
                ])  # fmt: skip
                run.counts.errors += len(page.errors)
                run.counts.fetched += len(page.errors)
                if page.records:
                    if len(writing) >= WRITERS:
                        await _collect(run, writing, asyncio.FIRST_COMPLETED)
                    writing.add(asyncio.create_task(ingest(page.records)))
            await _collect(run, writing, asyncio.ALL_COMPLETED)
            await producer  # re-raises a fetch failure
            run.status = RunStatus.SUCCEEDED
        except AppError as exc:
            run.status, run.error = RunStatus.FAILED, str(exc)
        except Exception as exc:
            run.status, run.error = RunStatus.FAILED, describe_error(exc)
            log.exception("sync_crashed", extra={"company_id": company_id, "run_id": run.id})
        except asyncio.CancelledError as exc:
            # Shutdown: the final state is still saved below, then the cancellation goes on.
            run.status, run.error, cancelled = RunStatus.FAILED, CANCELLED_MESSAGE, exc
        finally:
            tasks = [producer, beat, *writing]
            for task in tasks:
                task.cancel()
            # A cancelled fetcher still puts its end marker: make room, or it blocks forever
            # on a full queue (and the run with it, holding the company's lock).
            while not pages.empty():
                pages.get_nowait()
            await asyncio.gather(*tasks, return_exceptions=True)
        run.finished_at = self.clock.now()
        # A plain save on purpose: if the reaper took this run for lost (heartbeats failed
        # for SYNC_STALE_MINUTES, say a database hiccup), the real outcome replaces its guess.
        async with self.uow_factory() as uow:
            await uow.sync_runs.save(run)
            await uow.commit()
        log.info("sync_run_finished", extra=_run_fields(run))
        if cancelled is not None:
            raise cancelled
        return run

    async def _fetch(
        self,
        company_id: int,
        start,
        end,
        pages: asyncio.Queue[RecordPage | None],  # type: ignore[no-untyped-def]
    ) -> None:
        try:
            async for page in self.gateway.record_pages(company_id, start, end):
                await pages.put(page)
        finally:
            await pages.put(None)

    async def _skipped(self, company_id: int, trigger: str, run_id: int | None) -> SyncRun:
        """Another sync of the company holds the lock: a QUEUED (or new) run is SKIPPED; a
        run that is not QUEUED any more (the live one, a redelivered task's) is left alone."""
        now = self.clock.now()
        async with self.uow_factory() as uow:
            run = await uow.sync_runs.get(run_id) if run_id is not None else None
            if run is None:
                run = await uow.sync_runs.add(SyncRun(company_id, trigger, started_at=now))
            skipped = replace(
                run, status=RunStatus.SKIPPED, finished_at=now, error="skipped: already running"
            )
            expected = RunStatus.RUNNING if run.id != run_id else RunStatus.QUEUED
            done = run.status is expected and await uow.sync_runs.save_if(skipped, expected)
            await uow.commit()
        if not done:
            return _left_alone(run)
        log.info("sync_run_skipped", extra=_run_fields(skipped))
        return skipped


def _left_alone(run: SyncRun) -> SyncRun:
    log.info(
        "sync_task_left_alone",
        extra={"run_id": run.id, "company_id": run.company_id, "status": run.status.value,
               "reason": "the run is another task's (alive) or finished"},
    )  # fmt: skip
    return run


class ReapSyncRuns:
    """Runs never stay stuck: a RUNNING run without a heartbeat for `stale_after` is FAILED
    ("worker lost"); a QUEUED run untouched that long (its task was lost, or the queue was
    down when it was requested) is handed to the queue again."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        queue: TaskQueue,
        clock: Clock,
        switches: Switches,
        stale_after: timedelta = timedelta(minutes=5),
        batch: int = 100,
    ) -> None:
        self.uow_factory = uow_factory
        self.queue = queue
        self.clock = clock
        self.switches = switches
        self.stale_after = stale_after
        self.batch = batch

    async def __call__(self) -> tuple[int, int]:
        """(runs failed, runs enqueued again)."""
        now = self.clock.now()
        stale_before = now - self.stale_after
        async with self.uow_factory() as uow:
            lost = await uow.sync_runs.lost(stale_before, self.batch)
        failed = requeued = 0
        for run in lost:
            if run.status is RunStatus.QUEUED and not self.switches.yclients_enabled:
                continue  # requested while on; it runs once the integration is back
            if run.status is RunStatus.RUNNING:
                after = replace(run, status=RunStatus.FAILED, error=WORKER_LOST, finished_at=now)
            else:
                after = replace(run, heartbeat_at=now)  # handed over again: seen now
            async with self.uow_factory() as uow:
                won = await uow.sync_runs.save_if(after, run.status, stale_before)
                await uow.commit()
            if not won:
                continue  # it moved meanwhile (claimed, finished, or another reaper)
            if run.status is RunStatus.RUNNING:
                failed += 1
                log.warning("sync_run_lost", extra=_run_fields(after))
                continue
            try:
                await self.queue.sync_company(run.company_id, run.trigger, run.id)
            except Exception:
                log.exception("sync_requeue_failed", extra={"run_id": run.id})
                continue  # seen again after another `stale_after`
            requeued += 1
            log.info("sync_run_requeued", extra={"run_id": run.id, "company_id": run.company_id})
        return failed, requeued


async def _collect(run: SyncRun, writing: set[asyncio.Task[SyncCounts]], when: str) -> None:
    """Wait for page writes (the first to finish, or all) and add up their counts; a failed
    write raises here."""
    if not writing:
        return
    done, _ = await asyncio.wait(writing, return_when=when)
    writing.difference_update(done)
    failed = [exc for exc in (task.exception() for task in done) if exc is not None]
    for task in done:
        if task.exception() is None:
            run.counts.add(task.result())
    if failed:
        raise failed[0]


def _run_fields(run: SyncRun) -> dict[str, object]:
    # `created` would clash with the LogRecord attribute of that name (logging raises
    # KeyError), so that count is logged as `created_bookings`.
    c = run.counts
    return {
        "run_id": run.id, "company_id": run.company_id, "trigger": run.trigger,
        "status": run.status.value, "fetched": c.fetched, "created_bookings": c.created,
        "updated": c.updated, "unchanged": c.unchanged, "linked": c.linked,
        "unmatched": c.unmatched, "points_awarded": str(c.points_awarded), "errors": c.errors,
        "error": run.error,
    }  # fmt: skip


class RequestSync:
    """Manual sync: a QUEUED run per company, handed to the task queue; returns the runs."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        queue: TaskQueue,
        clock: Clock,
        switches: Switches,
        company_ids: Sequence[int],
    ) -> None:
        self.uow_factory = uow_factory
        self.queue = queue
        self.clock = clock
        self.switches = switches
        self.company_ids = list(company_ids)

    async def __call__(
        self, company_id: int | None = None, trigger: str = "manual"
    ) -> list[SyncRun]:
        if not self.switches.yclients_enabled:
            raise YClientsDisabled(DISABLED_MESSAGE)
        if company_id is not None and company_id not in self.company_ids:
            raise ValidationFailed(
                f"company_id: {company_id} is not a configured company (YCLIENTS_COMPANY_IDS)"
            )
        targets = [company_id] if company_id is not None else self.company_ids
        now = self.clock.now()
        async with self.uow_factory() as uow:
            runs = [
                await uow.sync_runs.add(SyncRun(cid, trigger, now, status=RunStatus.QUEUED))
                for cid in targets
            ]
            await uow.commit()
        for run in runs:
            await self.queue.sync_company(run.company_id, trigger, run.id)
        return runs


class SyncAll:
    """Runs `SyncBookings` for every configured company (the CLI and the embedded run)."""

    def __init__(self, sync: SyncBookings, company_ids: Sequence[int]) -> None:
        self.sync = sync
        self.company_ids = list(company_ids)

    async def __call__(self, trigger: str = "manual") -> list[SyncRun]:
        return [await self.sync(cid, trigger) for cid in self.company_ids]


class SyncRunQueries:
    """Read side of sync runs for the API."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory

    async def get(self, run_id: int) -> SyncRun | None:
        async with self.uow_factory() as uow:
            return await uow.sync_runs.get(run_id)

    async def list(self, company_id: int | None, limit: int, offset: int) -> Page[SyncRun]:
        async with self.uow_factory() as uow:
            return await uow.sync_runs.query(company_id, limit, offset)

    async def wait(
        self, run_ids: Sequence[int], seconds: float, poll: float = 0.2
    ) -> builtins.list[SyncRun]:
        """The runs once none is QUEUED/RUNNING any more, or as they are after `seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            async with self.uow_factory() as uow:
                runs = [r for r in [await uow.sync_runs.get(i) for i in run_ids] if r]
            pending = any(r.status in (RunStatus.QUEUED, RunStatus.RUNNING) for r in runs)
            if not pending or loop.time() >= deadline:
                return runs
            await asyncio.sleep(poll)


class KickSyncs:
    """The schedule's sync: one sync task per configured company (workers share a chain's
    load); nothing while the integration is off."""

    def __init__(self, queue: TaskQueue, switches: Switches, company_ids: Sequence[int]) -> None:
        self.queue = queue
        self.switches = switches
        self.company_ids = list(company_ids)

    async def __call__(self, trigger: str = "schedule") -> int:
        if not self.switches.yclients_enabled:
            log.info("scheduled_sync_skipped", extra={"reason": "YCLIENTS_ENABLED=false"})
            return 0
        for company_id in self.company_ids:
            await self.queue.sync_company(company_id, trigger)
        return len(self.company_ids)
