"""The one table of named tasks and the one schedule, read by both runners.

A task's body is one call of a use case (`TaskWork` holds them). Old task names stay as
aliases, so messages still queued in Redis during an upgrade are processed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from src.application.errors import YClientsDisabled
from src.application.inbox.admin import SweepInbox
from src.application.inbox.drain import DrainInbox
from src.application.use_cases.expire_points import ExpirePoints
from src.application.use_cases.reconcile_points import ReconcilePoints
from src.application.use_cases.sync import SyncBookings
from src.application.use_cases.sync_reaper import ReapSyncRuns
from src.application.use_cases.sync_schedule import SyncActiveSalons
from src.domain.sync_schedule import tick_seconds

DRAIN_INBOX = "drain_inbox"
RETRY_EVENT = "retry_event"
SYNC_BOOKINGS = "sync_bookings"
SYNC_ALL = "sync_all"
SWEEP_INBOX = "sweep_inbox"
REAP_SYNC_RUNS = "reap_sync_runs"
RECONCILE_POINTS = "reconcile_points"
EXPIRE_POINTS = "expire_points"

# Names of earlier releases, for messages queued before an upgrade.
ALIASES = {"process_inbox": DRAIN_INBOX, "process_webhook_event": RETRY_EVENT}

RECONCILE_POINTS_CRON = "15 3 * * *"  # daily, 03:15 UTC: a quiet hour for the salons
EXPIRE_POINTS_CRON = "45 3 * * *"  # daily, 03:45 UTC


@dataclass(frozen=True, slots=True)
class TaskWork:
    """The use cases the tasks call."""

    drain: DrainInbox
    sync: SyncBookings
    kick_syncs: SyncActiveSalons
    sweep: SweepInbox
    reap: ReapSyncRuns
    reconcile: ReconcilePoints
    expire: ExpirePoints


async def _sync(work: TaskWork, company_id: int, trigger: str, run_id: int | None) -> Any:
    try:
        return await work.sync(company_id, trigger, run_id)
    except YClientsDisabled as exc:  # switched off after it was queued: nothing to retry
        return {"run_id": run_id, "status": "SKIPPED", "error": str(exc)}


Body = Callable[..., Awaitable[Any]]

TASKS: dict[str, Body] = {
    DRAIN_INBOX: lambda w, company_id=None: w.drain(company_id),
    RETRY_EVENT: lambda w, event_id: w.drain.event(event_id),
    SYNC_BOOKINGS: lambda w, company_id, trigger="schedule", run_id=None: _sync(
        w, company_id, trigger, run_id
    ),
    SYNC_ALL: lambda w, trigger="schedule": w.kick_syncs(trigger),
    SWEEP_INBOX: lambda w: w.sweep(),
    REAP_SYNC_RUNS: lambda w: w.reap(),
    RECONCILE_POINTS: lambda w, only_if_switch_changed=False: w.reconcile(
        only_if_switch_changed=only_if_switch_changed
    ),
    EXPIRE_POINTS: lambda w: w.expire(),
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of the schedule: every `seconds` (first at the runner's start) or at `cron`
    (UTC); `at_start`: arguments of one extra kick when a runner starts (None: no kick)."""

    task: str
    args: tuple[Any, ...] = ()
    seconds: float | None = None
    cron: str | None = None
    at_start: tuple[Any, ...] | None = None


def schedule(sync_seconds: float, sweep_seconds: float, reap_seconds: float) -> list[Entry]:
    """The schedule, for both runners. The sync entry is the scheduler's tick: every few
    seconds it enqueues the salons whose slot in the `sync_seconds` interval has come."""
    return [
        Entry(SYNC_ALL, ("schedule",), seconds=tick_seconds(sync_seconds)),
        Entry(SWEEP_INBOX, seconds=sweep_seconds),
        Entry(REAP_SYNC_RUNS, seconds=reap_seconds),
        # Daily in full; at a runner's start only if LOYALTY_ENABLED changed since the last
        # complete run (the task checks, so every worker may ask and the work is done once).
        Entry(RECONCILE_POINTS, (False,), cron=RECONCILE_POINTS_CRON, at_start=(True,)),
        Entry(EXPIRE_POINTS, cron=EXPIRE_POINTS_CRON),
    ]
