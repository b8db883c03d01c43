"""Attempt counters for throttling (login, registration, the SMS budget) and the login
back-off streaks: in the process, or in Redis.

The counters keep a sliding-window estimate per key from two fixed windows (the current
count plus the previous window's count weighted by how much of it still overlaps): O(1) time
and two small numbers per key. An attempt is counted only if every key is under its limit, so
a rejected attempt does not extend the wait.

Redis: a pooled connection that Redis dropped (a restart, `CLIENT KILL`, an idle timeout) is
reconnected and the command retried (redis-py `Retry`, `health_check_interval`). While Redis
stays unreachable, the limits fall back to this process's memory (each process then counts on
its own) and `limits_redis_unavailable` is logged, at most once a minute: never a 500.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from src.domain.login_backoff import FORGET_AFTER, Streak, admit

log = logging.getLogger(__name__)

DEFAULT_MAX_KEYS = 100_000  # about 20 MB at most; the oldest-used keys go first
REDIS_TIMEOUT_SECONDS = 2.0  # a Redis that does not answer in this time is down for a limit
UNAVAILABLE_LOG_EVERY = 60.0  # seconds between two `limits_redis_unavailable` lines


def limits_redis(url: str, client_name: str | None = "limits") -> Redis:
    """A Redis client for the limits: a dropped pooled connection is reconnected and the
    command retried (three times, with jittered backoff); idle connections are checked before
    use; connecting and answering time out quickly, so a Redis that is down costs a request
    a few seconds at most before the in-process fallback answers."""
    return Redis.from_url(
        url,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), 3),
        retry_on_error=[RedisConnectionError, RedisTimeoutError, ConnectionError, OSError],
        health_check_interval=30,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        client_name=client_name,  # CLIENT LIST shows what each connection is for
    )


class _Unavailable:
    """Logs that Redis is unreachable, at most once a minute per process."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._last = -math.inf

    def __call__(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last >= UNAVAILABLE_LOG_EVERY:
            self._last = now
            log.warning(
                "limits_redis_unavailable",
                extra={"limits": self.what, "error": type(exc).__name__,
                       "fallback": "this process's memory"},
            )  # fmt: skip


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
        self.fallback = MemoryAttemptCounters()
        self._unavailable = _Unavailable("attempt counters")

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisAttemptCounters:
        return cls(limits_redis(url), prefix)

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def hit(self, limits: Sequence[tuple[str, int]], window: float) -> int | None:
        try:
            return await self._hit(limits, window)
        except RedisError as exc:
            self._unavailable(exc)
            return await self.fallback.hit(limits, window)

    async def _hit(self, limits: Sequence[tuple[str, int]], window: float) -> int | None:
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


def _utc_now() -> datetime:
    return datetime.now(UTC)


class MemoryLoginStreaks:
    """Login back-off streaks (`src.domain.login_backoff`) in this process, bounded to
    `max_keys` (least recently used dropped first)."""

    def __init__(
        self, max_keys: int = DEFAULT_MAX_KEYS, clock: Callable[[], datetime] = _utc_now
    ) -> None:
        self.max_keys = max_keys
        self.clock = clock
        self._streaks: OrderedDict[str, Streak] = OrderedDict()

    async def admit(self, key: str) -> int | None:
        streak, wait = admit(self._streaks.get(key, Streak()), self.clock())
        if wait is None:
            self._streaks[key] = streak
            self._streaks.move_to_end(key)
            while len(self._streaks) > self.max_keys:
                self._streaks.popitem(last=False)
        return wait

    async def clear(self, key: str) -> None:
        self._streaks.pop(key, None)


class RedisLoginStreaks:
    """The same streaks in Redis, shared by every process: one hash per account (failures,
    last attempt), read and written in one optimistic transaction (WATCH), so concurrent
    attempts cannot pass together through one free slot; it expires a day after the last
    attempt. Falls back to this process's memory while Redis is unreachable."""

    def __init__(self, redis: Redis, prefix: str, clock: Callable[[], datetime] = _utc_now) -> None:
        self.redis = redis
        self.prefix = prefix
        self.clock = clock
        self.fallback = MemoryLoginStreaks(clock=clock)
        self._unavailable = _Unavailable("login back-off")

    @classmethod
    def from_url(cls, url: str, prefix: str) -> RedisLoginStreaks:
        return cls(limits_redis(url), prefix)

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def admit(self, key: str) -> int | None:
        try:
            return await self._admit(f"{self.prefix}:{key}")
        except RedisError as exc:
            self._unavailable(exc)
            return await self.fallback.admit(key)

    async def clear(self, key: str) -> None:
        try:
            await self.redis.delete(f"{self.prefix}:{key}")
        except RedisError as exc:
            self._unavailable(exc)
        await self.fallback.clear(key)

    async def _admit(self, name: str) -> int | None:
        async with self.redis.pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(name)
                    failures, last = await pipe.hmget(name, ["failures", "last_at"])
                    streak = Streak(
                        int(failures or 0),
                        datetime.fromtimestamp(float(last), UTC) if last else None,
                    )
                    streak, wait = admit(streak, self.clock())
                    if wait is not None or streak.last_at is None:
                        await pipe.unwatch()
                        return wait
                    pipe.multi()
                    pipe.hset(
                        name,
                        mapping={
                            "failures": streak.failures,
                            "last_at": repr(streak.last_at.timestamp()),
                        },
                    )
                    pipe.expire(name, math.ceil(FORGET_AFTER.total_seconds()))
                    await pipe.execute()
                    return None
                except WatchError:
                    continue
