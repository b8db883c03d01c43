"""DrainInbox: drain a company's inbox until nothing is claimable. The one drain loop, run by
the taskiq worker and by the in-process runner alike."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import KW_ONLY, dataclass, field
from datetime import datetime

from src.application.inbox.batch import ApplyBatch
from src.application.ports.tasks import DrainGate, TaskQueue
from src.application.ports.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_BATCHES = 50


@dataclass(slots=True)
class Drained:
    """What a drain did: events processed, the events that failed (each kept its error; those
    not DEAD are due again at `retry_at`), and `more`: it stopped at `max_batches` with work
    left."""

    processed: int = 0
    failed: list[int] = field(default_factory=list)
    retry_at: dict[int, datetime] = field(default_factory=dict)
    more: bool = False


@dataclass(frozen=True, slots=True)
class DrainInbox:
    """Batches (`ApplyBatch`) until none is claimable: a batch comes back short of the batch
    size and left nothing deferred.

    One retry policy: an event that fails keeps its error and its own `retry_at` (backoff,
    DEAD after `WEBHOOK_MAX_ATTEMPTS`); the drain asks the queue to retry it then
    (`TaskQueue.retry_event`), and a retry is a drain of its company, which claims the event
    only once it is due. Nothing else retries an event: tasks are not retried by the task
    runner, and the sweeper only kicks again what was left PENDING and due.

    Kicks are coalesced (`DrainGate`): the gate of the company is opened right before each
    claim, inside the batch lock, so whatever was committed before a kick that found the gate
    shut is claimed by this drain. A drain stops after `max_batches` and kicks a new one for
    the rest, so a steady stream does not hold one task forever."""

    batch: ApplyBatch
    gate: DrainGate
    queue: TaskQueue
    uow_factory: UnitOfWorkFactory
    _: KW_ONLY
    max_batches: int = MAX_BATCHES

    async def __call__(self, company_id: int | None = None) -> Drained:
        """Drain one company (or every company: `None`), then hand on what is left: each
        failed event's retry at its `retry_at`, a new drain if it stopped at its limit."""

        async def open_gate() -> None:
            if company_id is not None:
                await self.gate.clear(company_id)

        while True:
            drained = await self.batches(company_id, self.max_batches, before_claim=open_gate)
            for event_id, at in drained.retry_at.items():
                await self.queue.retry_event(event_id, at=at)
            if not drained.more:
                return drained
            if company_id is not None:
                await self.queue.kick_drain(company_id)  # unless one is queued meanwhile
                return drained

    async def event(self, event_id: int) -> Drained:
        """An event's retry is due (or it was replayed, or swept): drain its company."""
        async with self.uow_factory() as uow:
            event = await uow.inbox.get(event_id)
        if event is None:
            return Drained()
        return await self(event.company_id)

    async def batches(
        self,
        company_id: int | None = None,
        max_batches: int = MAX_BATCHES,
        *,
        before_claim: Callable[[], Awaitable[None]] | None = None,
    ) -> Drained:
        """The loop alone: batches until none is claimable or `max_batches` ran."""
        drained = Drained()
        for _ in range(max_batches):
            outcome = await self.batch.batch(company_id=company_id, before_claim=before_claim)
            drained.processed += len(outcome.processed)
            drained.failed += list(outcome.failed)
            drained.retry_at.update(outcome.retry_at)
            if outcome.claimed < self.batch.batch_size and not outcome.deferred:
                return drained
        drained.more = True
        return drained
