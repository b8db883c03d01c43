"""Attempt counters for throttling (login, registration): in the process, or in Redis.

Both keep a sliding-window estimate per key from two fixed windows (the current count plus
the previous window's count weighted by how much of it still overlaps): O(1) time and two
small numbers per key. An attempt is counted only if every key is under its limit, so a
rejected attempt does not extend the wait.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence

from redis.asyncio import Redis

DEFAULT_MAX_KEYS = 100_000  # about 20 MB at most; the oldest-used keys go first


def _estimate(current: int, previous: int, elapsed_fraction: float) -> float:
    return previous * (1.0 - elapsed_fraction) + current


def _retry_after(current: int, previous: int, limit: int, window: float, elapsed: float) -> int:
    """Seconds until the estimate drops under `limit` again (at least 1, at most 2 windows)."""
    if current < limit and previous > 0:
        # the previous window's weight must fall to (limit - current) / previous
        wait = window * (1.0 - (limit - current) / previous) - elapsed
    else:
        # only once this window is the previous one: current * (1 - f) < limit
        wait = window - elapsed + window * max(0.0, 1.0 - limit / max(current, 1))
    return max(1, min(math.ceil(wait), math.ceil(2 * window)))


class MemoryAttemptCounters:
    """Counters in this process, bounded to `max_keys` (least recently used dropped first)."""

    def __init__(
        self,
        max_keys: int = DEFAULT_MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_keys = max_keys
        self.clock = clock
        # key -> [window index, count in that window, count in the window before]
        self._counts: OrderedDict[str, list[int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._counts)

    async def hit(self, limits: Sequence[tuple[str, int]], window: float) -> int | None:
        now = self.clock()
        index, elapsed = divmod(now, window)
        fraction = elapsed / window
        rows = [(key, limit, self._roll(key, int(index))) for key, limit in limits]
        for _key, limit, (current, previous) in rows:
            if _estimate(current, previous, fraction) >= limit:
                return _retry_after(current, previous, limit, window, elapsed)
        for key, _limit, (current, previous) in rows:
            self._counts[key] = [int(index), current + 1, previous]
            self._counts.move_to_end(key)
        while len(self._counts) > self.max_keys:
            self._counts.popitem(last=False)
        return None

    def _roll(self, key: str, index: int) -> tuple[int, int]:
        row = self._counts.get(key)
        if row is None:
            return 0, 0
        seen, current, previous = row
        if seen == index:
            return current, previous
        if seen == index - 1:
            return 0, current
        return 0, 0


# KEYS: current and previous window key per limit; ARGV: elapsed fraction, ttl, limits...
# Returns {allowed, current1, previous1, current2, previous2, ...}; increments only if allowed.
_HIT = """
local fraction = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local out = {1}
for i = 1, #KEYS / 2 do
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
  out[2 * i] = current
  out[2 * i + 1] = previous
  if previous * (1 - fraction) + current >= tonumber(ARGV[2 + i]) then out[1] = 0 end
end
if out[1] == 1 then
  for i = 1, #KEYS / 2 do
    redis.call('INCR', KEYS[2 * i - 1])
    redis.call('EXPIRE', KEYS[2 * i - 1], ttl)
  end
end
return out
"""


class RedisAttemptCounters:
    """The same counters in Redis, shared by every process; keys expire after two windows,
    so memory is bounded by the attempts of the last two windows."""

    def __init__(self, redis: Redis, prefix: str, clock: Callable[[], float] = time.time) -> None:
        self.redis = redis
        self.prefix = prefix
        self.clock = clock
        self._script = redis.register_script(_HIT)

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisAttemptCounters:
        return cls(Redis.from_url(url), prefix)

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def hit(self, limits: Sequence[tuple[str, int]], window: float) -> int | None:
        now = self.clock()
        index, elapsed = divmod(now, window)
        keys: list[str] = []
        for key, _limit in limits:
            base = f"{self.prefix}:{int(window)}:{key}"
            keys += [f"{base}:{int(index)}", f"{base}:{int(index) - 1}"]
        args: list[str | int | float] = [
            repr(elapsed / window),
            math.ceil(2 * window),
            *(limit for _key, limit in limits),
        ]
        out = [int(v) for v in await self._script(keys=keys, args=args)]
        if out[0] == 1:
            return None
        for i, (_key, limit) in enumerate(limits):
            current, previous = out[1 + 2 * i], out[2 + 2 * i]
            if _estimate(current, previous, elapsed / window) >= limit:
                return _retry_after(current, previous, limit, window, elapsed)
        return 1
