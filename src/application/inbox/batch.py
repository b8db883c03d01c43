"""ApplyBatch: claim one batch of PENDING webhook events and apply it through the sync's page
write."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from src.application.conflicts import retry_on_conflict
from src.application.errors import AppError, NotFound, WriteRejected, describe_error
from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.ports.yclients import WebhookDecoder, YClientsGateway
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.visit_settlement import SettleVisit
from src.domain.booking import BookingKey, BookingStatus
from src.domain.inbox import EventState, WebhookEvent
from src.domain.loyalty import REVERSING_STATUSES
from src.domain.quarantine import QuarantinedRecord
from src.domain.record import YClientsRecord
from src.domain.versions import supersedes

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=1)

# What YClients answered for a record a webhook gave partially, by event id (or the error).
Fetched = Mapping[int, YClientsRecord | Exception]


@dataclass(slots=True)
class BatchOutcome:
    """What one batch did: events processed, events that failed (with their error), when
    each failed event that is not DEAD is due again (`retry_at`), and events claimed but left
    for the next batch (see `_Plan.deferred`)."""

    processed: list[int] = field(default_factory=list)
    failed: dict[int, Exception] = field(default_factory=dict)
    deferred: list[int] = field(default_factory=list)
    retry_at: dict[int, datetime] = field(default_factory=dict)

    @property
    def claimed(self) -> int:
        return len(self.processed) + len(self.failed) + len(self.deferred)

    def add(self, other: BatchOutcome) -> None:
        self.processed += other.processed
        self.failed.update(other.failed)
        self.deferred += other.deferred
        self.retry_at.update(other.retry_at)


@dataclass(slots=True)
class _Plan:
    records: list[YClientsRecord] = field(default_factory=list)
    deletions: list[WebhookEvent] = field(default_factory=list)  # deletes without `data`
    applied: list[WebhookEvent] = field(default_factory=list)
    failed: dict[int, tuple[WebhookEvent, Exception]] = field(default_factory=dict)
    deferred: list[WebhookEvent] = field(default_factory=list)
    # Events whose record must be fetched from YClients first: left PENDING, fetched after
    # the commit, then claimed again (no claim is held across a YClients call).
    wanted: list[WebhookEvent] = field(default_factory=list)


class ApplyBatch:
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

    No claim is held across YClients: an event whose webhook carried partial `data` is left
    PENDING by its batch, its record is fetched after that commit (no row lock, no pooled
    connection, no batch lock held while YClients answers, up to its retry budget), and it
    is then claimed again and applied with the fetched record.
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
        `final`: a failure of `include` makes it DEAD). `before_claim` runs before the claim,
        inside the batch lock (the drain opens its company's `DrainGate` there).

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
            outcome, wanted = await self._claiming(include, company_id, ids, final, {})
        if not wanted:
            return outcome
        # Nothing claimed, no transaction and no batch lock while YClients answers.
        fetched = {event.id: await self._fetch_or_error(event) for event in wanted}
        async with self._one_batch_at_a_time:
            head = include if include in fetched else None
            again, _ = await self._claiming(head, None, list(fetched), final, fetched)  # type: ignore[arg-type]
        outcome.deferred = [i for i in outcome.deferred if i not in fetched]
        outcome.add(again)
        return outcome

    async def _claiming(
        self,
        include: int | None,
        company_id: int | None,
        ids: Collection[int] | None,
        final: bool,
        fetched: Fetched,
    ) -> tuple[BatchOutcome, list[WebhookEvent]]:
        return await retry_on_conflict(
            lambda: self._batch(include, company_id, ids, final, fetched)
        )

    async def _batch(
        self,
        include: int | None,
        company_id: int | None,
        ids: Collection[int] | None,
        final: bool,
        fetched: Fetched,
    ) -> tuple[BatchOutcome, list[WebhookEvent]]:
        now = self.clock.now()
        async with self.uow_factory() as uow:
            events = await uow.inbox.claim(
                self.batch_size, now=now, include=include, company_id=company_id, ids=ids
            )
            if not events:
                return BatchOutcome(), []
            plan = self._plan(events, fetched)
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
            isolated = await self._isolate(plan, rejected, include, final, fetched)
            isolated.deferred += [e.id for e in plan.wanted]  # type: ignore[misc]
            return isolated, plan.wanted
        outcome = BatchOutcome(
            processed=[e.id for e in plan.applied],  # type: ignore[misc]
            failed={i: error for i, (_, error) in plan.failed.items()},
            deferred=[e.id for e in plan.deferred + plan.wanted],  # type: ignore[misc]
            retry_at=_retry_times(plan),
        )
        self._log(plan, outcome)
        return outcome, plan.wanted

    def _plan(self, events: list[WebhookEvent], fetched: Fetched) -> _Plan:
        """Read the bodies; take the fetched records of events whose `data` was partial (an
        event not fetched yet is `wanted`: it and its record's later events wait). A delete
        without `data` cannot be ordered against other versions of its record by their
        content, so of such a record only the oldest event is taken now; the rest wait for
        the next batch."""
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
        waiting: set[BookingKey] = set()  # a version to fetch comes first: the rest wait
        for event, record in read:
            key = _key(event)
            if key in waiting:
                plan.deferred.append(event)
                continue
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
                got = fetched.get(event.id)  # type: ignore[arg-type]
                if got is None:
                    plan.wanted.append(event)
                    waiting.add(key)
                    continue
                if isinstance(got, Exception):
                    plan.failed[event.id] = (event, got)  # type: ignore[index]
                    continue
                record = got
            pairs.append((event, record))
        for event, record in _take_batchable(pairs, plan.deferred):
            plan.records.append(record)
            plan.applied.append(event)
        return plan

    async def _fetch_or_error(self, event: WebhookEvent) -> YClientsRecord | Exception:
        """`data` was partial: ask YClients for the record itself."""
        try:
            record = await self.gateway.get_record(event.company_id, event.resource_id)
        except Exception as exc:
            return exc
        if record is None:
            return NotFound(
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
            await SettleVisit()(
                uow, deleted, loyalty_enabled=self.switches.loyalty_enabled, now=now
            )
        await uow.inbox.mark_processed([e.id for e in plan.applied], now)  # type: ignore[misc]

    async def _isolate(
        self, plan: _Plan, exc: WriteRejected, include: int | None, final: bool, fetched: Fetched
    ) -> BatchOutcome:
        """The database refused part of the page: apply each half on its own; an event
        refused alone gets the refusal as its error."""
        suspects = [e.id for e in plan.applied if e.id is not None]
        if len(suspects) == 1:
            now = self.clock.now()
            errors: dict[int, Exception] = {suspects[0]: exc}  # type: ignore[dict-item]
            errors.update({i: error for i, (_, error) in plan.failed.items()})
            async with self.uow_factory() as uow:
                retry_at: dict[int, datetime] = {}
                for event in await uow.inbox.claim(len(errors), now=now, ids=errors):
                    final_here = final and event.id == include
                    await uow.inbox.save(self._failed(event, errors[event.id], now, final_here))  # type: ignore[index]
                    if event.retry_at is not None:
                        retry_at[event.id] = event.retry_at  # type: ignore[index]
                await uow.commit()
            record = next(iter(plan.records), None)
            if record is not None:
                await self.ingest.quarantine([
                    QuarantinedRecord(record.company_id, record.record_id, "webhook", str(exc), now)
                ])  # fmt: skip
            return BatchOutcome(failed=errors, retry_at=retry_at)
        outcome = BatchOutcome()
        # Events that failed on their own were rolled back with the rest: the second half
        # records them again. Deferred ones stay PENDING for the next batch.
        middle = len(suspects) // 2
        for half in (suspects[:middle], suspects[middle:] + list(plan.failed)):
            head = include if include in half else None
            outcome.add((await self._claiming(head, None, half, final, fetched))[0])
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


def _retry_times(plan: _Plan) -> dict[int, datetime]:
    return {
        i: event.retry_at for i, (event, _) in plan.failed.items() if event.retry_at is not None
    }


def _key(event: WebhookEvent) -> BookingKey:
    return BookingKey(event.company_id, event.resource_id)


def _take_batchable(
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
        newer = supersedes(record, seen)  # the version-order rule
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
