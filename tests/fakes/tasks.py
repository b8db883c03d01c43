"""A task queue and drain gate that record what they were asked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime


class FakeQueue:
    def __init__(self) -> None:
        self.events: list[int] = []  # events whose retry was kicked
        self.retry_at: list[datetime | None] = []  # ... and when
        self.drains: list[int] = []  # companies whose inbox drain was kicked
        self.syncs: list[tuple[int, str, int | None]] = []
        self.gate = FakeDrainGate()

    async def retry_event(self, event_id: int, at: datetime | None = None) -> None:
        self.events.append(event_id)
        self.retry_at.append(at)

    async def kick_drain(self, company_id: int) -> None:
        self.drains.append(company_id)

    async def sync_company(self, company_id: int, trigger: str, run_id: int | None = None) -> None:
        self.syncs.append((company_id, trigger, run_id))


class FakeDrainGate:
    def __init__(self) -> None:
        self.marked: set[int] = set()
        self.cleared: list[int] = []

    async def mark(self, company_ids: Sequence[int]) -> list[bool]:
        fresh = [c not in self.marked for c in company_ids]
        self.marked.update(company_ids)
        return fresh

    async def clear(self, company_id: int) -> None:
        self.marked.discard(company_id)
        self.cleared.append(company_id)
