"""Accepting a webhook: validate the envelope, store it durably in the inbox, kick a drain.

Group commit: each delivery must be committed before it is acknowledged, but a transaction per
request costs a connection checkout, BEGIN, INSERT and COMMIT each time. `InboxWriter.add`
queues the event and waits; one flusher writes everything queued in one statement and one
commit, then answers every waiter with its own result. If a batch fails, each of its events is
written again alone, so one bad delivery cannot fail the others: each waiter gets its own
result or its own error, and nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from src.application.batching import Batcher
from src.application.errors import ValidationFailed
from src.application.ports.clock import Clock
from src.application.ports.tasks import TaskQueue
from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.yclients import WebhookDecoder
from src.application.switches import Switches
from src.domain.inbox import (
    MAX_RESOURCE_LENGTH,
    MAX_STATUS_LENGTH,
    RECORD_RESOURCE,
    EventState,
    WebhookEvent,
    dedupe_key,
)

log = logging.getLogger(__name__)

Written = tuple[int, bool]

# YClients ids are positive; the inbox stores them as 64-bit integers.
MAX_RESOURCE_ID = 2**63 - 1

AcceptStatus = Literal["accepted", "duplicate", "ignored", "held"]


@dataclass(frozen=True, slots=True)
class Accepted:
    status: AcceptStatus
    event_id: int


class InboxWriter:
    """`await writer.add(event)` → (event id, created), once committed.

    `window` (seconds) makes each batch wait that long for more deliveries before it is
    written. It is 0 by default: batches form by themselves while the previous one is being
    written, and a wait only adds latency, which at a fixed number of senders is throughput
    lost (measured: 5 ms cost a third of it). `max_events` and `max_bytes` (of bodies) bound
    one transaction."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        *,
        window: float = 0.0,
        max_events: int = 500,
        max_bytes: int = 8 * 1024 * 1024,
    ) -> None:
        self.uow_factory = uow_factory
        self._batcher: Batcher[WebhookEvent, Written | Exception] = Batcher(
            self._write,
            window=window,
            max_items=max_events,
            max_size=max_bytes,
            size=lambda event: len(event.body),
        )

    async def add(self, event: WebhookEvent) -> Written:
        result = await self._batcher.submit(event)
        if isinstance(result, Exception):
            raise result
        return result

    async def _write(self, events: Sequence[WebhookEvent]) -> list[Written | Exception]:
        try:
            return list(await self._commit(events))
        except Exception:
            if len(events) == 1:
                raise
            log.warning("inbox_batch_failed", extra={"events": len(events), "retry": "alone"})
        # One transaction per event now: the bad one fails alone, the others commit.
        results: list[Written | Exception] = []
        for event in events:
            try:
                [written] = await self._commit([event])
            except Exception as exc:
                results.append(exc)
            else:
                results.append(written)
        return results

    async def _commit(self, events: Sequence[WebhookEvent]) -> list[Written]:
        async with self.uow_factory() as uow:
            results = await uow.inbox.add_many(events)
            await uow.commit()
        return results


class AcceptWebhook:
    """Validate the envelope, store it in the inbox (committed), then kick a drain of its
    company's inbox (`TaskQueue.kick_drain`: coalesced, so a backlog is processed a batch
    per task rather than a task per event, and a lone delivery is still taken at once).

    Identical deliveries are stored once. Resources other than records are stored as
    IGNORED. When the integration is switched off events are stored and left PENDING.
    Concurrent deliveries are committed together (`InboxWriter`); each is answered only
    once its own transaction has committed.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        decoder: WebhookDecoder,
        queue: TaskQueue,
        clock: Clock,
        company_ids: Collection[int] | None,
        switches: Switches,
        writer: InboxWriter | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.decoder = decoder
        self.queue = queue
        self.clock = clock
        # None: any company (the salon check, `AdmitWebhook`, decided before: `hold`).
        self.company_ids = frozenset(company_ids) if company_ids is not None else None
        self.switches = switches
        self.writer = writer or InboxWriter(uow_factory)

    async def __call__(self, body: bytes, *, hold: bool = False) -> Accepted:
        """`hold`: its salon is paused or unknown: stored HELD (answered "held"), processed
        once the salon is active (`ChangeSalon`, `AddSalon`)."""
        notice = self.decoder.envelope(body)
        if self.company_ids is not None and notice.company_id not in self.company_ids:
            raise ValidationFailed(
                f"company_id {notice.company_id} is not a configured company (YCLIENTS_COMPANY_IDS)"
            )
        # Any company may be held now (a salon not added yet), so its id is checked here too:
        # an id out of the column's range failed the group commit (400 write_rejected).
        if not 0 < notice.company_id <= MAX_RESOURCE_ID:
            raise ValidationFailed(f"company_id {notice.company_id} is not a YClients id")
        if not 0 < notice.resource_id <= MAX_RESOURCE_ID:
            raise ValidationFailed(f"resource_id {notice.resource_id} is not a YClients id")
        if "\x00" in notice.resource + notice.status:
            raise ValidationFailed("resource, status: must not contain NUL characters")
        # Checked here, not by the column: inside a group commit one over-long value failed
        # the transaction of every delivery batched with it.
        for name, value, limit in (
            ("resource", notice.resource, MAX_RESOURCE_LENGTH),
            ("status", notice.status, MAX_STATUS_LENGTH),
        ):
            if len(value) > limit:
                raise ValidationFailed(f"{name}: at most {limit} characters, got {len(value)}")
        ignored = notice.resource != RECORD_RESOURCE
        event = WebhookEvent(
            company_id=notice.company_id,
            resource=notice.resource,
            resource_id=notice.resource_id,
            event_status=notice.status,
            body=body,
            dedupe_key=dedupe_key(body),
            received_at=self.clock.now(),
            state=EventState.IGNORED
            if ignored
            else EventState.HELD
            if hold
            else EventState.PENDING,
        )
        event_id, created = await self.writer.add(event)  # committed when it returns
        if not created:
            return Accepted("duplicate", event_id)
        if ignored:
            return Accepted("ignored", event_id)
        if hold:
            log.info("webhook_held", extra={"event_id": event_id, "company_id": notice.company_id})
            return Accepted("held", event_id)
        if self.switches.yclients_enabled:
            try:
                await self.queue.kick_drain(notice.company_id)
            except Exception:
                # Stored and committed: the inbox sweeper enqueues it again.
                log.exception("webhook_enqueue_failed", extra={"event_id": event_id})
        return Accepted("accepted", event_id)
