"""SyncBookings: pull a company's records for the window from YClients and ingest them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, replace
from datetime import datetime, timedelta

from src.application.errors import (
    DISABLED_MESSAGE,
    AppError,
    GatewayError,
    YClientsDisabled,
    describe_error,
)
from src.application.ports.clock import Clock
from src.application.ports.paging import Page
from src.application.ports.request_budget import Priority, priority_of_trigger
from src.application.ports.sync import SyncLock
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.ports.yclients import RecordPage, YClientsGateway
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.visit_settlement import SettleVisit
from src.domain.quarantine import QuarantinedRecord
from src.domain.sync_run import (
    RunStatus,
    SyncCounts,
    SyncKind,
    SyncRun,
    log_fields,
    takeover_after,
)
from src.domain.sync_schedule import backoff_until, sweep_due

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
CANCELLED_MESSAGE = "cancelled: the worker shut down"


@dataclass(frozen=True, slots=True)
class SyncBookings:
    """One run per company: a `sync_runs` row with counts; never two at once per company.

    A running sync writes a heartbeat every `heartbeat_every` seconds. A task naming a run
    (`run_id`) claims it only while it is QUEUED, or RUNNING without a heartbeat for two
    beats (`TAKEOVER_BEATS`: its worker is gone, so the redelivered task finishes the run
    rather than leaving it to the reaper and the next cycle); a redelivered task whose run
    is alive neither syncs again nor touches that run's row.

    A failed run counts against its salon: after `failures` in a row the salon's next
    scheduled sync waits `sync_schedule.backoff_until` (one `interval`, then doubling up to
    `backoff_cap`); a successful run resets the count. Other salons keep their slots."""

    uow_factory: UnitOfWorkFactory
    gateway: YClientsGateway
    clock: Clock
    lock: SyncLock
    switches: Switches
    _: KW_ONLY
    past_days: int = 30
    future_days: int = 60
    heartbeat_every: float = 30.0
    full_sweep_every: timedelta = timedelta(hours=24)
    incremental_margin: timedelta = timedelta(minutes=10)
    interval: timedelta = timedelta(minutes=30)
    backoff_cap: timedelta = timedelta(hours=4)

    @property
    def takeover_after(self) -> timedelta:
        return takeover_after(self.heartbeat_every)

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

    async def _plan(self, run: SyncRun) -> tuple[str, datetime | None]:
        """The run's kind and `changed_after`. A scheduled run asks only for the records
        changed since the salon's last successful run started, less the margin (a quiet
        salon costs one request); a full sweep of the window runs for a manual sync, a salon
        never swept and one whose daily slot (`sync_schedule.sweep_due`, every
        `full_sweep_every`) has passed since its last sweep: salons sweep spread over the day."""
        if run.trigger != "schedule":
            return SyncKind.FULL, None
        async with self.uow_factory() as uow:
            last_full = await uow.sync_runs.last_succeeded(run.company_id, SyncKind.FULL)
            last = await uow.sync_runs.last_succeeded(run.company_id)
        if last_full is None or last is None:
            return SyncKind.FULL, None
        if sweep_due(run.company_id, last_full.started_at, run.started_at, self.full_sweep_every):
            return SyncKind.FULL, None
        return SyncKind.INCREMENTAL, last.started_at - self.incremental_margin

    def _stale_before(self) -> datetime:
        return self.clock.now() - self.takeover_after

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
        ingest = IngestRecords(self.uow_factory, self.clock, self.switches, SettleVisit(levels))
        # YClients filters by the company's local calendar date; one extra day each side
        # covers any UTC offset without knowing the company's timezone.
        start = (now - timedelta(days=self.past_days + 1)).date()
        end = (now + timedelta(days=self.future_days + 1)).date()
        pages: asyncio.Queue[RecordPage | None] = asyncio.Queue(maxsize=PREFETCH_PAGES)
        priority = priority_of_trigger(run.trigger)
        run.kind, changed_after = await self._plan(run)
        producer = asyncio.create_task(self._fetch(run, start, end, changed_after, pages, priority))
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
            if cancelled is None:  # a shutdown says nothing about the salon
                await self._count_outcome(uow, run)
            await uow.commit()
        log.info("sync_run_finished", extra=log_fields(run))
        if cancelled is not None:
            raise cancelled
        return run

    async def _count_outcome(self, uow: UnitOfWork, run: SyncRun) -> None:
        """Reset the salon's failures, or count one more and push its next sync back."""
        if run.status is RunStatus.SUCCEEDED:
            await uow.salons.sync_succeeded(run.company_id)
            return
        failures = await uow.salons.sync_failed(run.company_id)
        if failures:
            until = backoff_until(failures, run.finished_at or run.started_at, self.interval,
                                  self.backoff_cap)  # fmt: skip
            await uow.salons.defer_sync(run.company_id, until)
            log.warning(
                "sync_backoff",
                extra={"company_id": run.company_id, "failures": failures,
                       "next_sync_at": until.isoformat()},
            )  # fmt: skip

    async def _fetch(
        self,
        run: SyncRun,
        start,
        end,
        changed_after: datetime | None,
        pages: asyncio.Queue[RecordPage | None],  # type: ignore[no-untyped-def]
        priority: Priority,
    ) -> None:
        try:
            async for page in self.gateway.record_pages(
                run.company_id, start, end, changed_after, priority=priority
            ):
                run.counts.requests += page.requests
                if page.records or page.errors:
                    await pages.put(page)
        except GatewayError as exc:
            run.counts.requests += exc.requests  # a failed page's attempts count too
            raise
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
        log.info("sync_run_skipped", extra=log_fields(skipped))
        return skipped


def _left_alone(run: SyncRun) -> SyncRun:
    log.info(
        "sync_task_left_alone",
        extra={"run_id": run.id, "company_id": run.company_id, "status": run.status.value,
               "reason": "the run is another task's (alive) or finished"},
    )  # fmt: skip
    return run


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


@dataclass(frozen=True, slots=True)
class SyncRunQueries:
    """Read side of sync runs for the API."""

    uow_factory: UnitOfWorkFactory

    async def get(self, run_id: int) -> SyncRun | None:
        async with self.uow_factory() as uow:
            return await uow.sync_runs.get(run_id)

    async def runs(self, run_ids: Sequence[int]) -> list[SyncRun]:
        """The runs among `run_ids` that exist, in that order, in one unit of work."""
        async with self.uow_factory() as uow:
            return [r for r in [await uow.sync_runs.get(i) for i in run_ids] if r]

    async def page(self, company_id: int | None, limit: int, offset: int) -> Page[SyncRun]:
        async with self.uow_factory() as uow:
            return await uow.sync_runs.query(company_id, limit, offset)

    async def wait(
        self, run_ids: Sequence[int], seconds: float, poll: float = 0.2
    ) -> list[SyncRun]:
        """The runs once none is QUEUED/RUNNING any more, or as they are after `seconds`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            runs = await self.runs(run_ids)
            pending = any(r.status in (RunStatus.QUEUED, RunStatus.RUNNING) for r in runs)
            if not pending or loop.time() >= deadline:
                return runs
            await asyncio.sleep(poll)


@dataclass(frozen=True, slots=True)
class SyncAll:
    """Runs `SyncBookings` for every active salon (or the companies given) now (the CLI)."""

    sync: SyncBookings
    company_ids: Sequence[int] | None = None

    async def __call__(self, trigger: str = "manual") -> list[SyncRun]:
        company_ids = self.company_ids
        if company_ids is None:
            async with self.sync.uow_factory() as uow:
                company_ids = await uow.salons.active_ids()
        return [await self.sync(cid, trigger) for cid in company_ids]
