"""Coalescing concurrent calls into batches ("group commit").

`await batcher.submit(item)` queues the item and waits; one flusher hands everything queued
to `write(items) -> results` in one go and answers every caller with its own result (or the
batch's error). While a batch is being written the next one fills up, so batches grow with
the load and a lone call waits only for its own write (plus `window`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """`write` gets the items in submission order and must return one result per item.

    `window` (seconds) lets concurrent callers join a batch before it is written; `max_items`
    and `max_size` (summed `size(item)`) bound one batch."""

    def __init__(
        self,
        write: Callable[[Sequence[T]], Awaitable[Sequence[R]]],
        *,
        window: float = 0.0,
        max_items: int = 500,
        max_size: int | None = None,
        size: Callable[[T], int] = lambda _item: 0,
    ) -> None:
        self.write = write
        self.window = window
        self.max_items = max_items
        self.max_size = max_size
        self.size = size
        self._queued: list[tuple[T, asyncio.Future[R]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queued.append((item, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        # A caller that gives up (say, its client is gone) does not cancel the batch.
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._queued:
            if self.window:
                await asyncio.sleep(self.window)
            batch = self._take()
            try:
                results = await self.write([item for item, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError(f"{len(results)} results for a batch of {len(batch)}")
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)

    def _take(self) -> list[tuple[T, asyncio.Future[R]]]:
        total = count = 0
        for item, _ in self._queued:
            if count >= self.max_items:
                break
            if count and self.max_size is not None and total + self.size(item) > self.max_size:
                break
            count += 1
            total += self.size(item)
        batch, self._queued = self._queued[:count], self._queued[count:]
        return batch
