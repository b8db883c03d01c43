"""Fault injection: which API responses go wrong, and how, drawn from a seeded RNG."""

from __future__ import annotations

import random
from typing import Literal

import msgspec

# 429 with and without Retry-After, server errors, a response slower than the client's
# timeout, and a 200 whose body is cut off mid-JSON.
KINDS = ("429", "429_retry_after", "500", "502", "503", "slow", "malformed")


class FaultConfig(msgspec.Struct, kw_only=True):
    """How the simulated YClients misbehaves. The same seed and the same sequence of requests
    give the same faults.

    rate: share of API requests (auth passed) answered with a fault of one of `kinds`,
    chosen by weight. slow_seconds: how long a `slow` response waits before answering
    normally. retry_after: the header a `429_retry_after` carries (seconds). drift: records
    rescheduled after each list request, so pages shift between requests: `tail_to_front`
    moves the company's last record before its first (later pages shift forward by one),
    `head_to_back` moves the first after the last (later pages shift back by one).
    fail_record_ids: `GET /record/...` of these ids is a 500."""

    seed: int = 0
    rate: float = 0.0
    kinds: dict[str, float] = msgspec.field(default_factory=lambda: dict.fromkeys(KINDS, 1.0))
    slow_seconds: float = 2.0
    retry_after: float = 1.0
    drift: int = 0
    drift_mode: Literal["tail_to_front", "head_to_back"] = "tail_to_front"
    fail_record_ids: list[int] = msgspec.field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {list(KINDS)}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")


class FaultPicker:
    """Draws the fault (or None) for each API request."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._kinds = [k for k, w in config.kinds.items() if w > 0]
        self._weights = [config.kinds[k] for k in self._kinds]

    def next(self) -> str | None:
        if self.config.rate <= 0 or not self._kinds:
            return None
        if self._rng.random() >= self.config.rate:
            return None
        return self._rng.choices(self._kinds, weights=self._weights)[0]
