"""ProcessInbox: apply PENDING webhook events a batch at a time, through the sync's page write."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from src.application.errors import (
    AppError,
    ConcurrentUpdate,
    NotFound,
    WriteRejected,
    describe_error,
)
from src.application.ports import (
    Clock,
    UnitOfWork,
    UnitOfWorkFactory,
    WebhookDecoder,
    YClientsGateway,
)
from src.application.switches import Switches
from src.application.use_cases.award import AwardBonus
from src.application.use_cases.ingest import IngestRecords
from src.domain.booking import BookingKey, BookingStatus
from src.domain.inbox import EventState, WebhookEvent
from src.domain.loyalty import REVERSING_STATUSES
from src.domain.quarantine import QuarantinedRecord
from src.domain.record import YClientsRecord

log = logging.getLogger(__name__)

MAX_CONFLICT_RETRIES = 5
MAX_RETRY_DELAY = timedelta(hours=1)


@dataclass(slots=True)
class BatchOutcome:
    """What one batch did: events processed, events that failed (with their error) and
    events claimed but left for the next batch (see `_Plan.deferred`)."""

    processed: list[int] = field(default_factory=list)
    failed: dict[int, Exception] = field(default_factory=dict)
    deferred: list[int] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return len(self.processed) + len(self.failed) + len(self.deferred)

    def add(self, other: BatchOutcome) -> None:
        self.processed += other.processed
        self.failed.update(other.failed)
        self.deferred += other.deferred


@dataclass(slots=True)
class Drained:
    """What `ProcessInbox.drain` did: events processed, the events that failed (each kept its
    error and retry time), and `more`: it stopped at `max_batches` with work left."""

    processed: int = 0
    failed: list[int] = field(default_factory=list)
    more: bool = False


@dataclass(slots=True)
class _Plan:
    records: list[YClientsRecord] = field(default_factory=list)
    deletions: list[WebhookEvent] = field(default_factory=list)  # deletes without `data`
    applied: list[WebhookEvent] = field(default_factory=list)
    failed: dict[int, tuple[WebhookEvent, Exception]] = field(default_factory=dict)
    deferred: list[WebhookEvent] = field(default_factory=list)


class ProcessInbox:
    """One transaction per batch: claim up to `batch_size` PENDING events of one company in
    one statement (FOR UPDATE SKIP LOCKED, oldest first, so concurrent workers share a
    backlog without overlap), keep the newest version of each record, write them as one page
    through `IngestRecords.write_page` (the sync's path: stored versions, members, upsert
    returning locked rows, awards), mark the events PROCESSED, commit. The statements per
    batch do not grow with its size.

    Exactly once holds as for the sync: awards are decided on booking rows locked in this
    transaction and every ledger entry carries its booking's next step, which the database
    keeps unique; an event is PROCESSED in the same commit as its effect, and a claimed event
    is locked, so no second batch applies it at the same time.

    One bad event never fails its neighbours: a body that cannot be read, or a record whose
    re-fetch fails, is left out and gets its error and retry time in the same transaction;
    a write the database refuses is narrowed down by retrying the batch in halves until the
    event is alone.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        ingest: IngestRecords,
        gateway: YClientsGateway,
        decoder: WebhookDecoder,
        clock: Clock,
        switches: Switches,
        *,
        batch_size: int = 200,
        max_attempts: int = 5,
        retry_delay: timedelta = timedelta(seconds=5),
    ) -> None:
        self.uow_factory = uow_factory
        self.ingest = ingest
        self.gateway = gateway
        self.decoder = decoder
        self.clock = clock
        self.switches = switches
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay
        self._one_batch_at_a_time = asyncio.Lock()

    async def drain(
        self,
        company_id: int | None = None,
        max_batches: int = 50,
        *,
        before_claim: Callable[[], Awaitable[None]] | None = None,
    ) -> Drained:
        """Batches until none is claimable (a batch comes back short of `batch_size` and
        left nothing deferred) or `max_batches` were run (`Drained.more`: the caller queues
        the rest, so one task does not hold a worker forever under a steady stream).

        `before_claim` runs before every claim, inside the batch lock: the task queue clears
        its "a drain is queued" marker there, so an event committed after it is either seen
        by this claim or kicks a new drain (see `TaskiqQueue.process_inbox`)."""
        drained = Drained()
        for _ in range(max_batches):
            outcome = await self.batch(company_id=company_id, before_claim=before_claim)
            drained.processed += len(outcome.processed)
            drained.failed += list(outcome.failed)
            if outcome.claimed < self.batch_size and not outcome.deferred:
                return drained
        drained.more = True
        return drained

    async def batch(
        self,
        *,
        include: int | None = None,
        company_id: int | None = None,
        ids: Collection[int] | None = None,
        final: bool = False,
        before_claim: Callable[[], Awaitable[None]] | None = None,
    ) -> BatchOutcome:
        """Claim and apply one batch (`include`: that event and others of its company;
        `final`: a failure of `include` makes it DEAD, as on the last of its task's tries).

        One batch at a time per process: tasks of a worker that arrive while a batch runs wait
        for it, and the next claim takes every event that arrived meanwhile. Running them side
        by side would split the backlog into many small batches that then queue on the same
        rows (a member's account) anyway. Other worker processes share the backlog through
        SKIP LOCKED."""
        if not self.switches.yclients_enabled:
            return BatchOutcome()
        async with self._one_batch_at_a_time:
            if before_claim is not None:
                await before_claim()
            return await self._retrying(include, company_id, ids, final)

    async def _retrying(
        self, include: int | None, company_id: int | None, ids: Collection[int] | None, final: bool
    ) -> BatchOutcome:
        for attempt in range(1, MAX_CONFLICT_RETRIES + 1):
            try:
                return await self._batch(include, company_id, ids, final)
            except ConcurrentUpdate:
                if attempt == MAX_CONFLICT_RETRIES:
                    raise
                await asyncio.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    async def _batch(
        self, include: int | None, company_id: int | None, ids: Collection[int] | None, final: bool
    ) -> BatchOutcome:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            events = await uow.inbox.claim(
                self.batch_size, now=now, include=include, company_id=company_id, ids=ids
            )
            if not events:
                return BatchOutcome()
            plan = await self._plan(events)
            rejected: WriteRejected | None = None
            try:
                await self._apply(uow, plan, now)
            except WriteRejected as exc:
                rejected = exc
            else:
                for event, error in plan.failed.values():
                    final_here = final and event.id == include
                    await uow.inbox.save(self._failed(event, error, now, final_here))
                await uow.commit()
        if rejected is not None:
            # Rolled back and the claim released (the halves claim their events again).
            return await self._isolate(plan, rejected, include, final)
        outcome = BatchOutcome(
            processed=[e.id for e in plan.applied],  # type: ignore[misc]
            failed={i: error for i, (_, error) in plan.failed.items()},
            deferred=[e.id for e in plan.deferred],  # type: ignore[misc]
        )
        self._log(plan, outcome)
        return outcome

    async def _plan(self, events: list[WebhookEvent]) -> _Plan:
        """Read the bodies; fetch the records whose `data` was partial. A delete without
        `data` cannot be ordered against other versions of its record by their content, so of
        such a record only the oldest event is taken now; the rest wait for the next batch."""
        plan = _Plan()
        read: list[tuple[WebhookEvent, YClientsRecord | None]] = []
        for event in sorted(events, key=lambda e: e.id or 0):
            try:
                self.decoder.envelope(event.body)
                record = self.decoder.record(event.body)
            except AppError as exc:
                plan.failed[event.id] = (event, exc)  # type: ignore[index]
                continue
            if event.event_status == "delete" and record is not None:
                record = replace(record, deleted=True)
            read.append((event, record))
        bare = {_key(e) for e, record in read if e.event_status == "delete" and record is None}
        pairs: list[tuple[WebhookEvent, YClientsRecord]] = []
        taken: set[BookingKey] = set()
        for event, record in read:
            key = _key(event)
            if key in bare:
                if key in taken:
                    plan.deferred.append(event)
                    continue
                taken.add(key)
            if record is None and event.event_status == "delete":
                plan.deletions.append(event)
                plan.applied.append(event)
                continue
            if record is None:
                try:
                    record = await self._fetch(event)
                except Exception as exc:
                    plan.failed[event.id] = (event, exc)  # type: ignore[index]
                    continue
            pairs.append((event, record))
        for event, record in _one_event_at_a_time(pairs, plan.deferred):
            plan.records.append(record)
            plan.applied.append(event)
        return plan

    async def _fetch(self, event: WebhookEvent) -> YClientsRecord:
        """`data` was partial: ask YClients for the record itself."""
        record = await self.gateway.get_record(event.company_id, event.resource_id)
        if record is None:
            raise NotFound(
                f"record {event.resource_id} of company {event.company_id} is not in YClients"
            )
        return record

    async def _apply(self, uow: UnitOfWork, plan: _Plan, now: datetime) -> None:
        if plan.records:
            await self.ingest.write_page(uow, plan.records)
        if plan.deletions:
            deleted = []
            for event in plan.deletions:
                key = BookingKey(event.company_id, event.resource_id)
                booking_id = await uow.bookings.mark_deleted(key, at=event.received_at)
                if booking_id is not None:
                    deleted.append(booking_id)
            await AwardBonus()(uow, deleted, loyalty_enabled=self.switches.loyalty_enabled, now=now)
        await uow.inbox.mark_processed([e.id for e in plan.applied], now)  # type: ignore[misc]

    async def _isolate(
        self, plan: _Plan, exc: WriteRejected, include: int | None, final: bool
    ) -> BatchOutcome:
        """The database refused part of the page: apply each half on its own; an event
        refused alone gets the refusal as its error."""
        suspects = [e.id for e in plan.applied if e.id is not None]
        if len(suspects) == 1:
            now = self.clock.now()
            errors: dict[int, Exception] = {suspects[0]: exc}  # type: ignore[dict-item]
            errors.update({i: error for i, (_, error) in plan.failed.items()})
            async with self.uow_factory() as uow:
                for event in await uow.inbox.claim(len(errors), now=now, ids=errors):
                    final_here = final and event.id == include
                    await uow.inbox.save(self._failed(event, errors[event.id], now, final_here))  # type: ignore[index]
                await uow.commit()
            record = next(iter(plan.records), None)
            if record is not None:
                await self.ingest.quarantine([
                    QuarantinedRecord(record.company_id, record.record_id, "webhook", str(exc), now)
                ])  # fmt: skip
            return BatchOutcome(failed=errors)
        outcome = BatchOutcome()
        # Events that failed on their own were rolled back with the rest: the second half
        # records them again. Deferred ones stay PENDING for the next batch.
        middle = len(suspects) // 2
        for half in (suspects[:middle], suspects[middle:] + list(plan.failed)):
            outcome.add(await self._retrying(include if include in half else None, None, half,
                                             final))  # fmt: skip
        return outcome

    def _failed(
        self, event: WebhookEvent, error: Exception, now: datetime, final: bool
    ) -> WebhookEvent:
        event.attempts += 1
        event.attempted_at = now
        event.last_error = str(error) if isinstance(error, AppError) else describe_error(error)
        if final or event.attempts >= self.max_attempts:
            event.state, event.retry_at = EventState.DEAD, None
        else:
            delay = min(self.retry_delay * 2 ** (event.attempts - 1), MAX_RETRY_DELAY)
            event.retry_at = now + delay
        return event

    def _log(self, plan: _Plan, outcome: BatchOutcome) -> None:
        for event in plan.applied:
            log.info(
                "webhook_event_processed",
                extra={"event_id": event.id, "company_id": event.company_id,
                       "record_id": event.resource_id, "event_status": event.event_status},
            )  # fmt: skip
        for event, _ in plan.failed.values():
            log.warning(
                "webhook_event_failed",
                extra={"event_id": event.id, "state": event.state.value,
                       "attempts": event.attempts, "error": event.last_error},
            )  # fmt: skip
        if outcome.claimed > 1:
            log.info(
                "inbox_batch_processed",
                extra={"processed": len(outcome.processed), "failed": len(outcome.failed),
                       "deferred": len(outcome.deferred)},
            )  # fmt: skip


def _key(event: WebhookEvent) -> BookingKey:
    return BookingKey(event.company_id, event.resource_id)


def _one_event_at_a_time(
    pairs: list[tuple[WebhookEvent, YClientsRecord]], deferred: list[WebhookEvent]
) -> list[tuple[WebhookEvent, YClientsRecord]]:
    """The events a page may apply together (in arrival order); the rest go to `deferred`.

    A page writes only each record's newest version. That is what one event at a time gives,
    except where a version the ledger acts on (completed: credit; cancelled, deleted or a
    no-show: reverse what was credited) is followed by a newer version with another status:
    one at a time acts on it first, the page would never see it. So a record's events after
    such a point wait for the next batch, which then starts from that version as stored: the
    same ledger either way. Versions older than one already seen change nothing, in a page or
    one at a time."""
    taken: list[tuple[WebhookEvent, YClientsRecord]] = []
    newest: dict[BookingKey, YClientsRecord] = {}
    held: set[BookingKey] = set()
    for event, record in pairs:
        key = BookingKey(record.company_id, record.record_id)
        seen = newest.get(key)
        if key in held:
            deferred.append(event)
            continue
        # The sync's order of versions: fresher by YClients' change time; a deletion wins a tie.
        newer = seen is None or (record.last_change_at, record.deleted) > (
            seen.last_change_at,
            seen.deleted,
        )
        if newer and seen is not None and _leaves_a_ledger_state(seen, record):
            held.add(key)
            deferred.append(event)
            continue
        if newer:
            newest[key] = record
        taken.append((event, record))
    return taken


def _leaves_a_ledger_state(before: YClientsRecord, after: YClientsRecord) -> bool:
    acts = before.status is BookingStatus.COMPLETED or before.status in REVERSING_STATUSES
    return acts and (after.status is not before.status or after.deleted != before.deleted)
