"""Group commit for the webhook inbox: concurrent deliveries share one transaction.

Each delivery must be committed before it is acknowledged, but a transaction per request
costs a connection checkout, BEGIN, INSERT and COMMIT each time. `InboxWriter.add` queues the
event and waits; one flusher writes everything queued in one statement and one commit, then
answers every waiter with its own result. If the write fails, every waiter of that batch
gets the error: nothing is acknowledged that was not committed.
"""

from __future__ import annotations

from collections.abc import Sequence

from src.application.batching import Batcher
from src.application.ports import UnitOfWorkFactory
from src.domain.inbox import WebhookEvent


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
        self._batcher: Batcher[WebhookEvent, tuple[int, bool]] = Batcher(
            self._write,
            window=window,
            max_items=max_events,
            max_size=max_bytes,
            size=lambda event: len(event.body),
        )

    async def add(self, event: WebhookEvent) -> tuple[int, bool]:
        return await self._batcher.submit(event)

    async def _write(self, events: Sequence[WebhookEvent]) -> list[tuple[int, bool]]:
        async with self.uow_factory() as uow:
            results = await uow.inbox.add_many(events)
            await uow.commit()
        return results
