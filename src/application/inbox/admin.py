"""The inbox's admin side: apply one event now, replay a dead one, sweep what was left
PENDING, list events."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from src.application.errors import NotFound, ValidationFailed
from src.application.inbox.batch import ApplyBatch
from src.application.ports.clock import Clock
from src.application.ports.paging import Page
from src.application.ports.tasks import TaskQueue
from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.yclients import WebhookDecoder, YClientsGateway
from src.application.switches import Switches
from src.domain.inbox import EventState, WebhookEvent

log = logging.getLogger(__name__)

# How often one event's processing lets the batch before it go first (see ProcessWebhookEvent).
MAX_DEFERRALS = 5


@dataclass(frozen=True, slots=True)
class ProcessWebhookEvent:
    """Apply one stored event now (an admin, the CLI, tests), as the head of a batch of its
    company's PENDING events (`ApplyBatch`): the event first, whatever its retry time, then
    others that are due. An event some other batch processed meanwhile is found PROCESSED.
    Tasks do not call this: they kick drains, which take an event when it is due."""

    uow_factory: UnitOfWorkFactory
    inbox: ApplyBatch

    async def __call__(self, event_id: int, *, final_attempt: bool = True) -> EventState:
        """Returns the event's state afterwards. On failure the error is recorded (the event
        goes DEAD on the final attempt, stays PENDING otherwise) and re-raised for retry."""
        if self.inbox.switches.yclients_enabled:
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


class RecordGone(NotFound):
    """A replay that cannot help: the event's record is no longer in YClients."""

    def __init__(self, message: str, record_id: int) -> None:
        super().__init__(message)
        self.record_id = record_id


@dataclass(frozen=True, slots=True)
class ReplayWebhookEvent:
    """Admin action: put a (dead) event back to PENDING, due now, and kick its retry.

    An event whose `data` is partial is applied from the record fetched from YClients; when
    YClients no longer has the record (it answers 404), replaying cannot help: the event
    stays as it is and `RecordGone` says why. (If YClients cannot be asked, or does not
    answer within `record_check_seconds`, the replay goes ahead: its retries will ask again.
    The staff's click must not wait out YClients' retry budget during an outage.)"""

    uow_factory: UnitOfWorkFactory
    queue: TaskQueue
    clock: Clock
    gateway: YClientsGateway | None = None
    decoder: WebhookDecoder | None = None
    switches: Switches | None = None
    record_check_seconds: float = 2.0

    async def __call__(self, event_id: int) -> WebhookEvent:
        async with self.uow_factory() as uow:
            event = await uow.inbox.get(event_id)
        if event is None:
            raise NotFound(f"webhook event {event_id} does not exist")
        if event.state is EventState.IGNORED:
            raise ValidationFailed(
                f"webhook event {event_id} is about '{event.resource}', which is not processed"
            )
        if await self._record_gone(event):
            raise RecordGone(
                f"webhook event {event_id}: record {event.resource_id} of company "
                f"{event.company_id} is no longer in YClients; replaying cannot help",
                event.resource_id,
            )
        async with self.uow_factory() as uow:
            event = await uow.inbox.get(event_id)
            if event is None:
                raise NotFound(f"webhook event {event_id} does not exist")
            event.state, event.attempts, event.retry_at = EventState.PENDING, 0, None
            event.attempted_at = self.clock.now()  # the sweeper must not start a second chain
            await uow.inbox.save(event)
            await uow.commit()
        await self.queue.retry_event(event_id)
        return event

    async def _record_gone(self, event: WebhookEvent) -> bool:
        """Whether applying the event needs the record from YClients, and YClients has none."""
        if self.gateway is None or self.decoder is None or event.event_status == "delete":
            return False
        if self.switches is not None and not self.switches.yclients_enabled:
            return False
        try:
            if self.decoder.record(event.body) is not None:
                return False  # applied from its own data: YClients is not asked
            async with asyncio.timeout(self.record_check_seconds):
                record = await self.gateway.get_record(event.company_id, event.resource_id)
        except Exception:  # unreadable body, YClients unreachable or slow: the retries will tell
            log.warning("replay_record_check_failed", extra={"event_id": event.id}, exc_info=True)
            return False
        return record is None


@dataclass(frozen=True, slots=True)
class SweepInbox:
    """Re-kick events left PENDING and due (a crash between commit and kick, a lost task):
    it only kicks; the drain decides, by each event's own `retry_at`. Held webhooks of
    active salons are released first (held by a process that had not yet seen the salon's
    resume)."""

    uow_factory: UnitOfWorkFactory
    queue: TaskQueue
    clock: Clock
    switches: Switches
    older_than: timedelta = timedelta(minutes=2)
    batch: int = 500

    async def __call__(self) -> int:
        if not self.switches.yclients_enabled:
            return 0
        now = self.clock.now()
        async with self.uow_factory() as uow:
            released = await uow.salons.release_held(None, now)
            await uow.commit()
        for company_id in released:
            await self.queue.kick_drain(company_id)
        async with self.uow_factory() as uow:
            ids = await uow.inbox.pending_before(now - self.older_than, self.batch)
        for event_id in ids:
            await self.queue.retry_event(event_id)
        if ids:
            log.info("inbox_swept", extra={"requeued": len(ids)})
        return len(ids)


@dataclass(frozen=True, slots=True)
class WebhookEventQueries:
    uow_factory: UnitOfWorkFactory

    async def page(self, state: EventState | None, limit: int, offset: int) -> Page[WebhookEvent]:
        async with self.uow_factory() as uow:
            return await uow.inbox.query(state, limit, offset)
