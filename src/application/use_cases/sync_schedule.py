"""Which salons sync when: the scheduler's tick (each salon at its own slot in the
interval), a manual request, and the CLI's sync of every salon."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from src.application.errors import DISABLED_MESSAGE, Conflict, ValidationFailed, YClientsDisabled
from src.application.ports.clock import Clock
from src.application.ports.tasks import TaskQueue
from src.application.ports.uow import UnitOfWorkFactory
from src.application.switches import Switches
from src.domain.sync_run import RunStatus, SyncRun
from src.domain.sync_schedule import run_every

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SyncActiveSalons:
    """The scheduler's tick (every few seconds, `sync_schedule.tick_seconds`): one sync task
    for each active salon whose slot has come, so 1,000 salons' syncs are spread over the
    interval instead of all at :00 and :30. Finding and moving them is one statement
    (`SalonRepository.claim_due`) whatever the number of salons; any worker takes any task,
    and the salon's lock keeps it to one run at a time. Each salon's runs start
    `run_every(interval)` apart, a margin less than the interval, so a change is in the
    service within one interval. A salon whose runs keep failing has its slot pushed back
    (`SyncBookings`), the others keep theirs."""

    uow_factory: UnitOfWorkFactory
    queue: TaskQueue
    clock: Clock
    switches: Switches
    interval: timedelta = timedelta(minutes=30)

    async def __call__(self, trigger: str = "schedule") -> int:
        """How many syncs were enqueued."""
        if not self.switches.yclients_enabled:
            log.info("scheduled_sync_skipped", extra={"reason": "YCLIENTS_ENABLED=false"})
            return 0
        async with self.uow_factory() as uow:
            due = await uow.salons.claim_due(self.clock.now(), run_every(self.interval))
            await uow.commit()
        for company_id in due:
            await self.queue.sync_company(company_id, trigger)
        return len(due)


@dataclass(frozen=True, slots=True)
class RequestSync:
    """Manual sync: a QUEUED run per company, handed to the task queue; returns the runs."""

    uow_factory: UnitOfWorkFactory
    queue: TaskQueue
    clock: Clock
    switches: Switches
    # None: the active salons, read from the salons table at every request.
    company_ids: Sequence[int] | None = None

    async def __call__(
        self, company_id: int | None = None, trigger: str = "manual"
    ) -> list[SyncRun]:
        if not self.switches.yclients_enabled:
            raise YClientsDisabled(DISABLED_MESSAGE)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            active = (
                self.company_ids if self.company_ids is not None else await uow.salons.active_ids()
            )
            if company_id is not None and company_id not in active:
                salon = await uow.salons.get(company_id) if self.company_ids is None else None
                if salon is not None:
                    raise Conflict(f"company_id: salon {company_id} is paused")
                raise ValidationFailed(
                    f"company_id: {company_id} is not a salon (add it first: "
                    "POST /api/v1/admin/salons, or YCLIENTS_COMPANY_IDS)"
                )
            targets = [company_id] if company_id is not None else active
            runs = [
                await uow.sync_runs.add(SyncRun(cid, trigger, now, status=RunStatus.QUEUED))
                for cid in targets
            ]
            await uow.commit()
        for run in runs:
            await self.queue.sync_company(run.company_id, trigger, run.id)
        return runs
