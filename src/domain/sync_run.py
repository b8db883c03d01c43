"""A record of one sync of one company: what it fetched and what it changed."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from src.domain.money import ZERO


class RunStatus(enum.StrEnum):
    QUEUED = "QUEUED"  # requested (manual sync), waiting for a worker
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"  # another sync of the same company was running


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

    def last_seen(self) -> datetime:
        return self.heartbeat_at or self.started_at

    def is_lost(self, stale_before: datetime) -> bool:
        """QUEUED or RUNNING with no sign of life since `stale_before`."""
        active = self.status in (RunStatus.QUEUED, RunStatus.RUNNING)
        return active and self.last_seen() < stale_before


WORKER_LOST = "worker lost: no heartbeat"
