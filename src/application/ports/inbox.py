"""The webhook inbox port: events stored once, claimed by drains."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Protocol

from src.application.ports.paging import Page
from src.domain.inbox import EventState, WebhookEvent


class InboxRepository(Protocol):
    async def add_many(self, events: Sequence[WebhookEvent]) -> list[tuple[int, bool]]:
        """Store each event unless one with the same dedupe key exists: (id, created) for
        each, in order, in one statement (plus one to read the ids of duplicates, only when
        there are some). Of two events with the same dedupe key in
        one call, the first is created and the second is its duplicate."""
        ...

    async def get(self, event_id: int) -> WebhookEvent | None: ...

    async def save(self, event: WebhookEvent) -> None:
        """Write state, attempts, last_error, processed_at."""
        ...

    async def query(
        self, state: EventState | None, limit: int, offset: int
    ) -> Page[WebhookEvent]: ...

    async def pending_before(self, before: datetime, limit: int) -> list[int]:
        """PENDING events with no activity since `before`: received then, and not attempted
        since (an event a worker is retrying is not swept into a second chain), and due
        (`retry_at` passed)."""
        ...

    async def claim(
        self,
        limit: int,
        *,
        now: datetime,
        include: int | None = None,
        company_id: int | None = None,
        ids: Collection[int] | None = None,
    ) -> list[WebhookEvent]:
        """Lock up to `limit` PENDING events until commit, oldest first, in one statement,
        skipping rows another transaction holds (FOR UPDATE SKIP LOCKED), so concurrent
        workers share a backlog without overlap. All of one company: `include`'s (that
        event first, whatever its `retry_at`), else `company_id`'s. Other events are taken
        only when due (`retry_at` null or passed). `ids` limits the claim to those events."""
        ...

    async def mark_processed(self, ids: Collection[int], at: datetime) -> None:
        """PROCESSED, one more attempt, error cleared, for all of `ids` in one statement."""
        ...
