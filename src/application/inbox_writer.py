"""Group commit for the webhook inbox: concurrent deliveries share one transaction.

Each delivery must be committed before it is acknowledged, but a transaction per request
costs a connection checkout, BEGIN, INSERT and COMMIT each time. `InboxWriter.add` queues the
event and waits; one flusher writes everything queued in one statement and one commit, then
answers every waiter with its own result. If a batch fails, each of its events is written
again alone, so one bad delivery cannot fail the others: each waiter gets its own result or
its own error, and nothing is acknowledged that was not committed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from src.application.batching import Batcher
from src.application.ports import UnitOfWorkFactory
from src.domain.inbox import WebhookEvent

log = logging.getLogger(__name__)

Written = tuple[int, bool]


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
