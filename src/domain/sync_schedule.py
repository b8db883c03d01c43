"""When each salon is synced: its own slot in the interval, its own slot in the day for the
full sweep, and its own backoff when YClients keeps failing for it.

A salon's phase in a period is `key × (√5 − 1)/2` modulo 1 (a Weyl sequence): for the
salons' row ids 1..N the N phases split the period into gaps of at most three lengths, so
1,000 salons' due times cover a 30-minute interval with at most 2 in any second, instead of
all falling at :00 and :30 (a hash would put 3 or more into dozens of seconds). Slots are
counted from the Unix epoch, so every process computes the same ones without sharing
state, and a changed interval keeps them spread."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The golden ratio's fraction; PostgreSQL computes the same phase (`PHASE_SQL` in the
# salons adapter) in the same double precision.
GOLDEN = 0.6180339887498949


def phase(key: int) -> float:
    """The place of `key` (a salon's row id; its company id for sweeps) in any period, [0, 1)."""
    x = float(key) * GOLDEN
    return x - math.floor(x)


def next_slot(key: int, after: datetime, period: timedelta) -> datetime:
    """The first slot of `key` strictly after `after`: epoch + (k + phase) × period."""
    every = period.total_seconds()
    offset = phase(key) * every
    since = (after - _EPOCH).total_seconds() - offset
    return _EPOCH + timedelta(seconds=(math.floor(since / every) + 1) * every + offset)


def last_slot(key: int, at: datetime, period: timedelta) -> datetime:
    """The latest slot of `key` at or before `at`."""
    return next_slot(key, at, period) - period


def sweep_due(company_id: int, last_full: datetime | None, now: datetime, every: timedelta) -> bool:
    """Whether a scheduled run of the salon reads its whole window: never swept, or its
    daily slot has passed since the last full sweep. A sweep less than a quarter period old
    counts for the slot (a salon added just before its slot is not swept twice), so the
    longest gap is 1¼ periods, once, right after the salon is added."""
    if last_full is None:
        return True
    return last_full < last_slot(company_id, now, every) and last_full <= now - every / 4


def backoff_until(
    failures: int, finished_at: datetime, interval: timedelta, cap: timedelta
) -> datetime:
    """The earliest next scheduled run after `failures` failed runs in a row: one interval
    after the first, then doubling (2, 4, 8... intervals), at most `cap` after the failure."""
    delay = interval * 2 ** min(max(failures - 1, 0), 30)
    return finished_at + min(delay, cap)


# The share of the interval a salon's scheduled runs start earlier than a full interval
# apart (see `run_every`).
RUN_MARGIN_SHARE = 0.05


def run_every(interval: timedelta) -> timedelta:
    """How often a salon's scheduled runs start: a margin less than the sync interval, so a
    change whose webhook was lost is in the service within one interval of being made.

    The change is read by the salon's next run after it; that run starts `run_every` after
    the previous one, and then still has to be claimed by a tick, wait for its turn in the
    queue and the request budget, read its pages and store them. The margin (5 % of the
    interval, at least two ticks: 15 s of 5 minutes, 90 s of 30) is that time, so the
    longest lag is the interval, not the interval plus a run. The cost: 5 % more runs."""
    seconds = interval.total_seconds()
    margin = max(2 * tick_seconds(seconds), RUN_MARGIN_SHARE * seconds)
    return timedelta(seconds=max(seconds - margin, seconds / 2))


def tick_seconds(interval_seconds: float) -> int:
    """How often the scheduler looks for due salons: a 180th of the interval, 1 to 10 s (a
    30-minute interval: every 10 s, about 6 salons a tick for 1,000 salons)."""
    return max(1, min(10, round(interval_seconds / 180)))
