"""The `RequestBudget` port: in this process, or in Redis for every process of a deployment.

Both adapters do the same thing: a GCRA without burst (request n+1 goes out no earlier
than one interval after request n: spaced, never bunched), a "not before" moment set by a
429's `Retry-After`, and a choice of who gets the next slot: the interactive requests first,
then, within a priority, the waiting salons in turn (round-robin over company ids, each
salon's own requests first come, first served).
And since a slot is only a time to send (a busy process wakes late), a log of the sends
themselves in YClients' sliding one-second window has the last word (`send_window`).

Why a Lua script rather than a library: the limiters on PyPI that keep their state in Redis
(`limits`, `pyrate-limiter`, `throttled-py` (which has a GCRA), `redis-rate-limiters`)
answer "may I, now?" for one key. Waiting requests then poll and whoever polls first wins:
no order among salons and no priority, which is what this budget is for. The queueing and
the slot must be decided in the same atomic step, so one small script does both; its tests
are tests/integration/yclients/test_request_budget.py. `aiolimiter` (used before) is
process-local and has no order either.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable

from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.application.errors import GatewayError
from src.application.ports.request_budget import Priority

# YClients counts arrivals in a sliding second; what moves a request between our log of
# sends and its arrival there (the event loop, the network, the server's own loop) is
# jitter we cannot remove, only leave room for. The send log therefore lets `rate` requests
# leave in any 1.2 s (`send_window`), and the slots are spaced to match (1.2 / rate: 4.17
# requests a second at 5): punctual requests never wait in the log, and a sixth request
# reaches YClients within one second of five others only if it is 200 ms early relative to
# them. (Measured before: slots at 4.5/s and 5 sends in 1.1 s gave 2 429s in 25 minutes
# on a loaded host, 6 requests within one second.)
SEND_WINDOW_GUARD = 1.2
RATE_MARGIN = 1 / SEND_WINDOW_GUARD
# A 429 without a usable Retry-After still pauses everyone this long (the limit is per second).
DEFAULT_429_PAUSE = 1.0
# The send log enters a request at Redis' moment; if its answer reaches us later than this
# (a busy event loop resumed us late), the entry is older than our send, so it is entered
# again, now. After `MAX_RESTAMPS` in a row the request goes anyway (a Redis that is always
# this slow to answer must not stop every request).
FRESH_SECONDS = 0.05
MAX_RESTAMPS = 10


def interval_for(rate: float, margin: float = RATE_MARGIN) -> float:
    if rate <= 0:
        raise ValueError("rate must be positive")
    return 1.0 / (rate * margin)


def send_window(rate: float, guard: float = SEND_WINDOW_GUARD) -> tuple[int, float]:
    """The send log's rule: at most `count` requests actually leave within any `seconds`.

    A slot is a time to send, but a process whose event loop is busy (or that was not
    scheduled) wakes late and sends late, so a late request and the punctual ones after it
    arrive bunched: slots alone do not bound what YClients counts, the arrivals in any one
    second. So every request, at the moment it is about to go (after any sleep), is also
    entered in a log of the sends themselves, in the same sliding-window form YClients (and
    the simulator) count: if `count` sends already left within the last `seconds`, it waits
    until the oldest of them leaves the window and asks again. `seconds` is one second
    widened by `guard` (20%): any six logged sends span at least 1.2 s, so what moves a
    request between the log and YClients' counter (network, event loops) must differ by
    200 ms between two of them before six arrive within one second. Punctual requests,
    spaced by the slots (guard / rate), never wait in the log: `count` + 1 span 1.2 s."""
    if rate <= 0:
        raise ValueError("rate must be positive")
    if rate >= 1:
        return int(rate), guard
    return 1, guard / rate


class LocalRequestBudget:
    """The budget of one process (no Redis): one dispatcher hands out the slots."""

    def __init__(
        self,
        rate: float,
        *,
        margin: float = RATE_MARGIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.interval = interval_for(rate, margin)
        self._clock = clock
        self._tat = 0.0  # the theoretical arrival time of the next request
        self._not_before = 0.0
        # per priority: company id -> its waiters, in turn order (the first is served next)
        self._queues: dict[Priority, OrderedDict[int, deque[asyncio.Future[None]]]] = {
            p: OrderedDict() for p in Priority
        }
        self._dispatcher: asyncio.Task[None] | None = None
        self._send_count, self._send_window = send_window(rate)
        self._sent: deque[float] = deque()  # the send log: when requests actually left

    async def acquire(self, company_id: int, priority: Priority) -> None:
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._queues[priority].setdefault(company_id, deque()).append(waiter)
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.create_task(self._dispatch())
        try:
            await waiter
        except asyncio.CancelledError:
            self._forget(company_id, priority, waiter)
            raise
        # The slot is ours; we may have woken late: the send log has the last word.
        while (wait := self._log_send()) > 0:  # noqa: ASYNC110 (a time, not an event)
            await asyncio.sleep(wait)

    def _log_send(self) -> float:
        """0 and the send entered in the log, or how long to wait before asking again."""
        now = self._clock()
        sent = self._sent
        while sent and sent[0] <= now - self._send_window:
            sent.popleft()
        wait = self._not_before - now
        if wait <= 0 and len(sent) >= self._send_count:
            wait = sent[0] + self._send_window - now
        if wait > 0:
            return max(wait, 0.001)
        sent.append(now)
        return 0.0

    async def pause(self, seconds: float) -> None:
        self._not_before = max(self._not_before, self._clock() + max(seconds, 0.0))

    def _forget(self, company_id: int, priority: Priority, waiter: asyncio.Future[None]) -> None:
        queue = self._queues[priority].get(company_id)
        if queue is not None and waiter in queue:
            queue.remove(waiter)
            if not queue:
                del self._queues[priority][company_id]

    def _next_waiter(self) -> asyncio.Future[None] | None:
        for priority in Priority:
            turns = self._queues[priority]
            while turns:
                company_id, waiters = turns.popitem(last=False)
                waiter = None
                while waiters and waiter is None:
                    candidate = waiters.popleft()
                    if not candidate.done():  # a cancelled waiter gives its turn away
                        waiter = candidate
                if waiters:
                    turns[company_id] = waiters  # to the back of the round
                if waiter is not None:
                    return waiter
        return None

    async def _dispatch(self) -> None:
        while True:
            now = self._clock()
            slot = max(self._tat, now, self._not_before)
            if slot > now:
                await asyncio.sleep(slot - now)
                continue  # a 429 may have moved `not before` meanwhile
            waiter = self._next_waiter()
            if waiter is None:
                return  # nobody waits; the next `acquire` starts a dispatcher again
            self._tat = slot + self.interval
            waiter.set_result(None)


# The script keeps, under one prefix: `tat` (GCRA's theoretical arrival time of the next
# slot, ms), `nb` (not before: a 429's end, ms), per priority `ring:P` (the company ids with
# waiters, in turn order) and `wait:P:C` (the tokens of company C's waiters, first come
# first), `alive:T` (a waiter's heartbeat: a crashed process's tokens expire and are skipped
# without taking a slot) and `grant:T` (the slot a waiter was given while another one ran
# the script). Time is Redis' own clock (TIME), so hosts' clocks do not matter; a waiter
# gets back how long to sleep. Keys are built inside the script, so it needs one Redis, not
# a cluster (the prefix is a hash tag for when someone tries).
_ENQUEUE = """
local p, token, prio, company = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
redis.call('SET', p .. 'alive:' .. token, 1, 'PX', tonumber(ARGV[5]))
if redis.call('RPUSH', p .. 'wait:' .. prio .. ':' .. company, token) == 1 then
  redis.call('RPUSH', p .. 'ring:' .. prio, company)
end
return 1
"""

_LEAVE = """
local p, token, prio, company = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local waiting = p .. 'wait:' .. prio .. ':' .. company
redis.call('DEL', p .. 'alive:' .. token, p .. 'grant:' .. token)
redis.call('LREM', waiting, 0, token)
if redis.call('LLEN', waiting) == 0 then
  redis.call('LREM', p .. 'ring:' .. prio, 0, company)
end
return 1
"""

# Returns {1, ms}: yours, send in ms (may be <= 0: now); {0, ms}: not yet, ask again in ms;
# {-1, 0}: your token expired (you slept past its heartbeat): enqueue again.
_POLL = """
local p, token = ARGV[1], ARGV[2]
local interval, lookahead = tonumber(ARGV[3]), tonumber(ARGV[4])
local alive_ms, priorities = tonumber(ARGV[5]), tonumber(ARGV[6])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local granted = redis.call('GET', p .. 'grant:' .. token)
if granted then
  redis.call('DEL', p .. 'grant:' .. token)
  return {1, tonumber(granted) - now}
end
if redis.call('PEXPIRE', p .. 'alive:' .. token, alive_ms) == 0 then
  return {-1, 0}
end
local tat = tonumber(redis.call('GET', p .. 'tat') or '0')
local nb = tonumber(redis.call('GET', p .. 'nb') or '0')
local mine = nil
-- Hand out every slot due within `lookahead`, to the head of the first non-empty ring.
for _ = 1, 8 do
  local slot = math.max(tat, now, nb)
  if slot > now + lookahead then break end
  local winner = nil
  for prio = 0, priorities - 1 do
    local ring = p .. 'ring:' .. prio
    local turns = redis.call('LLEN', ring)
    while winner == nil and turns > 0 do
      turns = turns - 1
      local company = redis.call('LPOP', ring)
      local waiting = p .. 'wait:' .. prio .. ':' .. company
      local skipped = 0
      while winner == nil and skipped < 100 do
        local candidate = redis.call('LPOP', waiting)
        if not candidate then break end
        if redis.call('EXISTS', p .. 'alive:' .. candidate) == 1 then
          winner = candidate
        else
          skipped = skipped + 1  -- a crashed or cancelled waiter: no slot for it
        end
      end
      if redis.call('LLEN', waiting) > 0 then
        redis.call('RPUSH', ring, company)  -- to the back of the round
      end
    end
    if winner then break end
  end
  if winner == nil then break end
  tat = slot + interval
  redis.call('DEL', p .. 'alive:' .. winner)
  if winner == token then
    mine = slot
  else
    redis.call('SET', p .. 'grant:' .. winner, slot, 'PX', alive_ms)
  end
end
redis.call('SET', p .. 'tat', tat, 'PX', 60000)
if mine then return {1, mine - now} end
return {0, math.max(math.max(tat, nb) - lookahead - now, 1)}
"""

# The send log (see `send_window`): `sent` holds the moments requests actually left (Redis
# TIME, ms), one member per request. Returns 0 (entered: send now) or the ms to wait
# before asking again (the window is full, or a 429's pause has not ended). A token already
# in the log is taken out first: its answer came late (see `FRESH_SECONDS`).
_SEND = """
local p, token = ARGV[1], ARGV[2]
local count, window = tonumber(ARGV[3]), tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nb = tonumber(redis.call('GET', p .. 'nb') or '0')
if nb > now then return nb - now end
local log = p .. 'sent'
redis.call('ZREM', log, token)  -- entered before, but answered too late: enter it again
redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
if redis.call('ZCARD', log) >= count then
  local oldest = tonumber(redis.call('ZRANGE', log, 0, 0, 'WITHSCORES')[2])
  return math.max(oldest + window - now, 1)
end
redis.call('ZADD', log, now, token)
redis.call('PEXPIRE', log, window + 1000)
return 0
"""

_PAUSE = """
local p, ms = ARGV[1], tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nb = math.max(tonumber(redis.call('GET', p .. 'nb') or '0'), now + ms)
redis.call('SET', p .. 'nb', nb, 'PX', math.max(nb - now, 1) + 1000)
return nb - now
"""


class RedisRequestBudget:
    """The budget of the whole deployment: every process with the same Redis and prefix
    draws from it. A waiter asks the script at most every `max_poll` seconds and otherwise
    when the next slot can be handed out; it is handed its slot up to one interval ahead
    and sleeps until then, so requests leave evenly spaced."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        rate: float,
        *,
        margin: float = RATE_MARGIN,
        max_poll: float = 1.0,
        fresh: float = FRESH_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.redis = redis
        self._fresh = fresh
        self.restamps = 0  # sends entered again because the log's answer came late
        self._sleep = sleep  # tests make a process that wakes late
        self.prefix = "{" + prefix + "}:"
        self.interval = interval_for(rate, margin)
        self._interval_ms = max(1, round(self.interval * 1000))
        self._max_poll = max_poll
        # A waiter's heartbeat outlives a few polls: only a crashed process loses its place.
        self._alive_ms = round(max(5.0, 5 * max_poll) * 1000)
        self._enqueue = redis.register_script(_ENQUEUE)
        self._leave = redis.register_script(_LEAVE)
        self._poll = redis.register_script(_POLL)
        self._pause = redis.register_script(_PAUSE)
        self._send = redis.register_script(_SEND)
        count, seconds = send_window(rate)
        self._send_args: list[str | int] = [count, max(1, round(seconds * 1000))]

    @classmethod
    def from_url(cls, url: str, prefix: str, rate: float) -> RedisRequestBudget:
        return cls(Redis.from_url(url), prefix, rate)

    async def aclose(self) -> None:
        await self.redis.aclose()

    async def acquire(self, company_id: int, priority: Priority) -> None:
        token = uuid.uuid4().hex
        args: list[str | int] = [self.prefix, token, int(priority), company_id]
        try:
            await self._enqueue(args=[*args, self._alive_ms])
            while True:
                status, ms = await self._poll(
                    args=[self.prefix, token, self._interval_ms, self._interval_ms,
                          self._alive_ms, len(Priority)]
                )  # fmt: skip
                if status == 1:
                    if ms > 0:
                        await self._sleep(ms / 1000)
                    break
                if status == -1:  # slept past our heartbeat: queue again, at the back
                    await self._enqueue(args=[*args, self._alive_ms])
                    continue
                await self._sleep(min(ms / 1000, self._max_poll))
            # The slot is ours, but we may have woken late: the send log has the last word.
            await self._log_send(token)
        except RedisError as exc:
            await self._give_up(args)
            raise GatewayError(f"the YClients request budget (Redis) failed: {exc}") from exc
        except BaseException:
            await self._give_up(args)
            raise

    async def _log_send(self, token: str) -> None:
        """Enter the send in the log once the window has room, at a moment no older than
        `fresh` when we get the answer (a late answer is entered again)."""
        restamps = 0
        while True:
            asked = time.monotonic()
            wait = await self._send(args=[self.prefix, token, *self._send_args])
            if wait > 0:
                await self._sleep(wait / 1000)
            elif time.monotonic() - asked <= self._fresh or restamps >= MAX_RESTAMPS:
                return
            else:
                restamps += 1
                self.restamps += 1

    async def _give_up(self, args: list[str | int]) -> None:
        # Best effort, also when cancelled: a waiter left behind only expires later.
        with contextlib.suppress(Exception):
            await asyncio.shield(self._leave(args=args))

    async def pause(self, seconds: float) -> None:
        try:
            await self._pause(args=[self.prefix, max(1, round(seconds * 1000))])
        except RedisError as exc:
            raise GatewayError(f"the YClients request budget (Redis) failed: {exc}") from exc
