"""ReapSyncRuns: no sync run stays stuck (a lost worker's run is failed and retried once)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from src.application.ports.clock import Clock
from src.application.ports.tasks import TaskQueue
from src.application.ports.uow import UnitOfWorkFactory
from src.application.switches import Switches
from src.domain.sync_run import WORKER_LOST, RunStatus, SyncRun, log_fields

log = logging.getLogger(__name__)

# A run newer than a lost one that makes its retry needless (a SKIPPED or FAILED one does not).
_COVERING = frozenset({RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.SUCCEEDED})


@dataclass(frozen=True, slots=True)
class ReapSyncRuns:
    """Runs never stay stuck: a RUNNING run without a heartbeat for `stale_after` is FAILED
    ("worker lost") and a new QUEUED run of the same kind for the same company is handed to
    the queue in its place (once: a retry that is lost too is only failed; nor when a newer
    run of that company exists); a QUEUED run untouched that long (its task was lost, or the
    queue was down when it was requested) is handed to the queue again."""

    uow_factory: UnitOfWorkFactory
    queue: TaskQueue
    clock: Clock
    switches: Switches
    stale_after: timedelta = timedelta(minutes=5)
    batch: int = 100

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
                log.warning("sync_run_lost", extra=log_fields(after))
                retry = await self._retry(after, now)
                if retry is None:
                    continue
                run = retry
            try:
                await self.queue.sync_company(run.company_id, run.trigger, run.id)
            except Exception:
                log.exception("sync_requeue_failed", extra={"run_id": run.id})
                continue  # QUEUED: seen again after another `stale_after`
            requeued += 1
            log.info(
                "sync_run_requeued",
                extra={"run_id": run.id, "company_id": run.company_id, "retry_of": run.retry_of},
            )
        return failed, requeued

    async def _retry(self, lost: SyncRun, now: datetime) -> SyncRun | None:
        """The QUEUED run that finishes `lost`, stored (committed before it is enqueued, so a
        failed enqueue is the QUEUED case above next time); None when it gets none."""
        retry = lost.retry(now)
        if retry is None or not self.switches.yclients_enabled:
            return None
        async with self.uow_factory() as uow:
            newer = (await uow.sync_runs.query(lost.company_id, 20, 0)).items
            if any(r.id > lost.id and r.status in _COVERING for r in newer):  # type: ignore[operator]
                return None  # a newer run of this company covers the lost one
            retry = await uow.sync_runs.add(retry)
            await uow.commit()
        return retry
