"""YClients' own rate limit, enforced and counted by the simulator (off by default).

The contract (docs/yclients/CONTRACT.md §6): "200 requests per minute, or 5 requests per
second, per IP address"; what a 429 carries is undocumented. The simulator enforces the
per-second part only, over a sliding window: a request that arrives when `per_second`
requests already arrived in the second before it (`(t - 1 s, t]`) is answered 429 with
`Retry-After: 1`. Every arrival counts, the ones answered 429 included: YClients counts
requests, not successes [INFERRED], so a client that retries at once keeps being refused.

The counters (`/_control/traffic`) cover every API request while limits are on or off:
total, 429s from this limit, the most requests that arrived in any one-second window (the
sliding maximum, the figure the limit is about), and a histogram of calendar seconds by the
number of requests that arrived in them.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable

import msgspec

WINDOW = 1.0  # seconds


class LimitConfig(msgspec.Struct, kw_only=True):
    """`per_second`: the most requests allowed in any one-second window; 0 = no limit (the
    default, so tests and demos that burst keep working). `retry_after`: the seconds a 429
    of this limit asks the client to wait."""

    per_second: int = 0
    retry_after: float = 1.0

    def __post_init__(self) -> None:
        if self.per_second < 0:
            raise ValueError("per_second must be 0 (off) or positive")
        if self.retry_after < 0:
            raise ValueError("retry_after must not be negative")


class TrafficCounter:
    """Counts API requests and decides, when a limit is set, which ones get a 429."""

    def __init__(
        self, config: LimitConfig | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.config = config or LimitConfig()
        self._clock = clock
        self.reset()

    def configure(self, config: LimitConfig) -> None:
        self.config = config

    def reset(self) -> None:
        """Zero the counters (the limit stays)."""
        self._window: deque[float] = deque()  # arrivals in the last second
        self.total = 0
        self.limited = 0  # answered 429 by this limit
        self.max_in_any_second = 0
        self._per_second: Counter[int] = Counter()  # calendar second -> requests

    def arrive(self) -> bool:
        """Count one request; True if the limit refuses it (answer 429)."""
        now = self._clock()
        window = self._window
        while window and window[0] <= now - WINDOW:
            window.popleft()
        over = 0 < self.config.per_second <= len(window)
        window.append(now)
        self.total += 1
        self.max_in_any_second = max(self.max_in_any_second, len(window))
        self._per_second[int(now)] += 1
        if over:
            self.limited += 1
        return over

    def histogram(self) -> dict[int, int]:
        """Requests in a calendar second → how many seconds had that many (seconds with
        none, between the first request and the last, count under 0)."""
        if not self._per_second:
            return {}
        seconds = max(self._per_second) - min(self._per_second) + 1
        hist = Counter(self._per_second.values())
        hist[0] = seconds - len(self._per_second)
        return dict(sorted((k, v) for k, v in hist.items() if v))

    def snapshot(self) -> dict[str, object]:
        return {
            "per_second_limit": self.config.per_second,
            "requests": self.total,
            "limited_429": self.limited,
            "max_requests_in_any_second": self.max_in_any_second,
            "per_second_histogram": {str(k): v for k, v in self.histogram().items()},
        }
