"""Login throttling: attempts per client address and account, and per client address.

Per account and address, so a member behind a shared (carrier NAT) address is not locked out
by strangers, and one address cannot try many passwords on one account; the looser per-
address limit stops one address trying a few passwords on very many accounts. Counters live in
the process (one worker's share of the traffic), which is enough to make guessing slow.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from litestar.exceptions import TooManyRequestsException

DURATION_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
CLIENT_FACTOR = 10  # an address may try this many times more, across all accounts
_PRUNE_AT = 10_000  # keys kept before old ones are dropped


class LoginThrottle:
    """Sliding-window counters; `hit` raises 429 (with Retry-After) over a limit."""

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._hits: dict[tuple[str, ...], deque[float]] = {}

    def hit(self, client: str, account: str) -> None:
        now = self.clock()
        for key, limit in (
            (("account", client, account.strip().lower()), self.limit),
            (("client", client), self.limit * CLIENT_FACTOR),
        ):
            hits = self._recent(key, now)
            if len(hits) >= limit:
                retry = max(1, math.ceil(hits[0] + self.window - now))
                raise TooManyRequestsException(
                    "too many login attempts; try again later",
                    headers={"Retry-After": str(retry)},
                )
        for key in (("account", client, account.strip().lower()), ("client", client)):
            self._hits.setdefault(key, deque()).append(now)
        if len(self._hits) > _PRUNE_AT:
            self._prune(now)

    def _recent(self, key: tuple[str, ...], now: float) -> deque[float]:
        hits = self._hits.get(key, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def _prune(self, now: float) -> None:
        for key in [
            k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self.window
        ]:
            del self._hits[key]
