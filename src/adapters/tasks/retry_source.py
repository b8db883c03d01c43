"""The Redis source of delayed retries (`retry_event(id, at)`), read by the one scheduler.

taskiq-redis's `ListRedisScheduleSource` looks for schedules left in past minutes with a
SCAN of the whole Redis keyspace at every poll (taskiq-redis#89, #122: on purpose, so a
schedule added for a minute that has just passed is not lost). The scheduler polls every
second, so its CPU (and Redis's) grew with every key in Redis (the soak measured 29 CPU s
per 5-minute cycle on a shared Redis of 16,000 keys). This source scans at most once a
`past_every`; the current minute's schedules are read at every poll as before, and a retry
that would still be missed is caught by the inbox sweep (a PENDING event past its
`retry_at`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from taskiq import ScheduledTask
from taskiq_redis import ListRedisScheduleSource


class RetrySource(ListRedisScheduleSource):
    def __init__(
        self,
        url: str,
        *,
        prefix: str,
        past_every: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, prefix=prefix, **kwargs)
        self.past_every = past_every
        self._clock = clock
        self._next_scan = float("-inf")  # the first poll scans (a restart's leftovers)

    async def get_schedules(self) -> list[ScheduledTask]:
        now = self._clock()
        scan = now >= self._next_scan
        if scan:
            self._next_scan = now + self.past_every
        # The parent scans past minutes unless told to skip them (its own flag, read per poll).
        self._skip_past_schedules = not scan
        return await super().get_schedules()
