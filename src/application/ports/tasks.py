"""Task ports: the task queue, the drain gate."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol


class TaskQueue(Protocol):
    """Hands work to the task runner. A kick is not processing: the work runs later, in a
    task, and processing an event is always a drain (`DrainInbox`)."""

    async def kick_drain(self, company_id: int) -> None:
        """Make sure a drain of the company's PENDING events runs after this call: a new
        task, unless one is queued that has not claimed yet (kicks are coalesced through the
        `DrainGate`)."""
        ...

    async def retry_event(self, event_id: int, at: datetime | None = None) -> None:
        """Drain the event's company at `at` (its `retry_at`; now if None): a retry, a
        replay, the sweeper. The drain takes the event only if it is due by then."""
        ...

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        """Enqueue a sync; `run_id` is a QUEUED run row the sync should fill in."""
        ...


class DrainGate(Protocol):
    """Per company: "a drain is queued and has not claimed yet". The kick sets it and sends a
    task only if it was not set; the drain clears it right before each claim. Whatever was
    committed before a kick that found it set is therefore claimed after the clear."""

    async def mark(self, company_ids: Sequence[int]) -> list[bool]:
        """Set each company's gate; True where it was not set (that company needs a task)."""
        ...

    async def clear(self, company_id: int) -> None: ...
