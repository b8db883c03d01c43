"""The webhook inbox: accept fast and durably, process later, replay what died."""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from src.application.errors import NotFound, ValidationFailed
from src.application.inbox_writer import InboxWriter
from src.application.ports import (
    Clock,
    Page,
    TaskQueue,
    UnitOfWorkFactory,
    WebhookDecoder,
    YClientsGateway,
)
from src.application.switches import Switches
from src.application.use_cases.inbox import ProcessInbox
from src.application.use_cases.ingest import IngestRecords
from src.domain.inbox import (
    MAX_RESOURCE_LENGTH,
    MAX_STATUS_LENGTH,
    RECORD_RESOURCE,
    EventState,
    WebhookEvent,
    dedupe_key,
)

log = logging.getLogger(__name__)

# YClients ids are positive; the inbox stores them as 64-bit integers.
MAX_RESOURCE_ID = 2**63 - 1

# How often one event's task lets the batch before it go first (see ProcessWebhookEvent).
MAX_DEFERRALS = 5

AcceptStatus = Literal["accepted", "duplicate", "ignored", "held"]


@dataclass(frozen=True, slots=True)
class Accepted:
    status: AcceptStatus
    event_id: int


class AcceptWebhook:
    """Validate the envelope, store it in the inbox (committed), then kick a drain of its
    company's inbox (`TaskQueue.process_inbox`: coalesced, so a backlog is processed a batch
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
                await self.queue.process_inbox(notice.company_id)
            except Exception:
                # Stored and committed: the inbox sweeper enqueues it again.
                log.exception("webhook_enqueue_failed", extra={"event_id": event_id})
        return Accepted("accepted", event_id)


class ProcessWebhookEvent:
    """Apply one stored event (a replay, the sweeper, a retry of an event that failed in a
    drain), as the head of a batch of its company's PENDING events (`ProcessInbox`): the
    event first, whatever its retry time, then others that are due. An event some other
    batch processed meanwhile is found PROCESSED (one claim, one read)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        ingest: IngestRecords,
        gateway: YClientsGateway,
        decoder: WebhookDecoder,
        clock: Clock,
        switches: Switches,
        inbox: ProcessInbox | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.switches = switches
        self.inbox = inbox or ProcessInbox(uow_factory, ingest, gateway, decoder, clock, switches)

    async def __call__(self, event_id: int, *, final_attempt: bool = True) -> EventState:
        """Returns the event's state afterwards. On failure the error is recorded (the event
        goes DEAD on the final attempt, stays PENDING otherwise) and re-raised for retry."""
        if self.switches.yclients_enabled:
            # An event left for the next batch (a later version of a record deleted without
            # `data` in the same batch) is taken by the next one.
            for _ in range(MAX_DEFERRALS):
                outcome = await self.inbox.batch(include=event_id, final=final_attempt)
                if event_id in outcome.failed:
                    raise outcome.failed[event_id]
                if event_id in outcome.processed:
                    return EventState.PROCESSED
                if event_id not in outcome.deferred:
                    break
        async with self.uow_factory() as uow:
            event = await uow.inbox.get(event_id)
        if event is None:
            raise NotFound(f"webhook event {event_id} does not exist")
        return event.state


class ReplayWebhookEvent:
    """Admin action: put a (dead) event back to PENDING and enqueue it."""

    def __init__(self, uow_factory: UnitOfWorkFactory, queue: TaskQueue, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.queue = queue
        self.clock = clock

    async def __call__(self, event_id: int) -> WebhookEvent:
        async with self.uow_factory() as uow:
            event = await uow.inbox.get(event_id)
            if event is None:
                raise NotFound(f"webhook event {event_id} does not exist")
            if event.state is EventState.IGNORED:
                raise ValidationFailed(
                    f"webhook event {event_id} is about '{event.resource}', which is not processed"
                )
            event.state, event.attempts = EventState.PENDING, 0
            event.attempted_at = self.clock.now()  # the sweeper must not start a second chain
            await uow.inbox.save(event)
            await uow.commit()
        await self.queue.process_webhook_event(event_id)
        return event


class SweepInbox:
    """Re-enqueue events left PENDING (a crash between commit and enqueue, a lost task)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        queue: TaskQueue,
        clock: Clock,
        switches: Switches,
        older_than: timedelta = timedelta(minutes=2),
        batch: int = 500,
    ) -> None:
        self.uow_factory = uow_factory
        self.queue = queue
        self.clock = clock
        self.switches = switches
        self.older_than = older_than
        self.batch = batch

    async def __call__(self) -> int:
        if not self.switches.yclients_enabled:
            return 0
        async with self.uow_factory() as uow:
            ids = await uow.inbox.pending_before(self.clock.now() - self.older_than, self.batch)
        for event_id in ids:
            await self.queue.process_webhook_event(event_id)
        if ids:
            log.info("inbox_swept", extra={"requeued": len(ids)})
        return len(ids)


class WebhookEventQueries:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory

    async def list(self, state: EventState | None, limit: int, offset: int) -> Page[WebhookEvent]:
        async with self.uow_factory() as uow:
            return await uow.inbox.query(state, limit, offset)
