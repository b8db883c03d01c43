"""In-memory webhook inbox (`InboxRepository`)."""

from __future__ import annotations

import copy
from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import datetime

from src.application.ports.paging import Page
from src.domain.inbox import EventState, WebhookEvent
from tests.fakes.store import Store, page_of


class FakeInbox:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add_many(self, events: Sequence[WebhookEvent]) -> list[tuple[int, bool]]:
        return [self._add(e) for e in events]

    def _add(self, event: WebhookEvent) -> tuple[int, bool]:
        for e in self.s.events.values():
            if e.dedupe_key == event.dedupe_key:
                return e.id, False  # type: ignore[return-value]
        new = replace(event, id=self.s.next_id())
        self.s.events[new.id] = new  # type: ignore[index]
        return new.id, True  # type: ignore[return-value]

    async def get(self, event_id: int) -> WebhookEvent | None:
        e = self.s.events.get(event_id)
        return copy.copy(e) if e else None

    async def save(self, event: WebhookEvent) -> None:
        self.s.events[event.id] = copy.copy(event)  # type: ignore[index]

    async def query(self, state: EventState | None, limit: int, offset: int) -> Page[WebhookEvent]:
        rows = [e for e in self.s.events.values() if state is None or e.state is state]
        rows.sort(key=lambda e: e.id or 0, reverse=True)
        return page_of([copy.copy(e) for e in rows], limit, offset)

    async def pending_before(self, before: datetime, limit: int) -> list[int]:
        rows = [
            e.id for e in self.s.events.values()
            if e.state is EventState.PENDING and e.received_at < before
            and (e.attempted_at is None or e.attempted_at < before)
            and (e.retry_at is None or e.retry_at < before)
        ]  # fmt: skip
        return sorted(rows)[:limit]  # type: ignore[type-var]

    async def claim(
        self,
        limit: int,
        *,
        now: datetime,
        include: int | None = None,
        company_id: int | None = None,
        ids: Collection[int] | None = None,
    ) -> list[WebhookEvent]:
        # One process, one transaction at a time: nothing is ever locked by someone else.
        if include is not None:
            owner = self.s.events.get(include)
            if owner is None:
                return []
            company_id = owner.company_id
        rows = [
            e for e in self.s.events.values()
            if e.state is EventState.PENDING
            and (company_id is None or e.company_id == company_id)
            and (e.id == include or e.retry_at is None or e.retry_at <= now)
            and (ids is None or e.id in ids)
        ]  # fmt: skip
        rows.sort(key=lambda e: (e.id != include, e.id))
        return [copy.copy(e) for e in rows[:limit]]

    async def mark_processed(self, ids: Collection[int], at: datetime) -> None:
        for i in ids:
            e = self.s.events[i]
            e.state, e.attempts, e.last_error = EventState.PROCESSED, e.attempts + 1, None
            e.processed_at = e.attempted_at = at
            e.retry_at = None
