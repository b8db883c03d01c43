"""A record of one sync of one company: what it fetched and what it changed."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from src.domain.money import ZERO


class RunStatus(enum.StrEnum):
    QUEUED = "QUEUED"  # requested (manual sync), waiting for a worker
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # another sync of the same company was running


class SyncKind(enum.StrEnum):
    FULL = "full"
    INCREMENTAL = "incremental"


@dataclass(slots=True)
class SyncCounts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    linked: int = 0
    unmatched: int = 0
    points_awarded: Decimal = ZERO
    errors: int = 0
    requests: int = 0  # YClients requests: pages, empty ones and retries included

    def add(self, other: SyncCounts) -> None:
        for name in self.__slots__:  # type: ignore[attr-defined]
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(slots=True)
class SyncRun:
    company_id: int
    trigger: str  # schedule | manual | cli
    started_at: datetime
    status: RunStatus = RunStatus.RUNNING
    counts: SyncCounts = field(default_factory=SyncCounts)
    finished_at: datetime | None = None
    error: str | None = None
    id: int | None = None
    # RUNNING: the worker's last sign of life; QUEUED: when it was last handed to the queue.
    heartbeat_at: datetime | None = None
    # The run the reaper found lost and this one finishes in its place (one retry per run).
    retry_of: int | None = None
    # FULL: every record of the sync window; INCREMENTAL: only those changed since the
    # salon's last successful run (YClients' `changed_after`, less a safety margin).
    kind: str = "full"

    def last_seen(self) -> datetime:
        return self.heartbeat_at or self.started_at

    def is_lost(self, stale_before: datetime) -> bool:
        """QUEUED or RUNNING with no sign of life since `stale_before`."""
        active = self.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        return active and self.last_seen() < stale_before

    def retry(self, now: datetime) -> SyncRun | None:
        """The QUEUED run that finishes a lost one (same company and kind), or None when this
        run was itself a retry: a sync that kills its worker every time is tried twice, not
        for ever."""
        if self.retry_of is not None or self.id is None:
            return None
        return SyncRun(
            self.company_id, self.trigger, now, status=RunStatus.QUEUED, heartbeat_at=now,
            retry_of=self.id,
        )  # fmt: skip


# A redelivered task takes over a RUNNING run silent for this many heartbeats: its worker
# is gone (one missed beat may be a slow database; two are not).
TAKEOVER_BEATS = 2


def takeover_after(heartbeat_every: float) -> timedelta:
    return timedelta(seconds=TAKEOVER_BEATS * heartbeat_every)


WORKER_LOST = "worker lost: no heartbeat"


def log_fields(run: SyncRun) -> dict[str, object]:
    """A run as log fields."""
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
