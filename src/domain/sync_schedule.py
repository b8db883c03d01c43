"""When each salon is synced: its own slot in the interval, its own slot in the day for the
full sweep, and its own backoff when YClients keeps failing for it.

A salon's phase is a fraction of a period taken from a hash of its company id, so 1,000
salons' due times cover the interval (and their sweeps the day) evenly instead of all
falling at :00 and :30. Slots are counted from the Unix epoch, so every process computes
the same ones without sharing state, and a changed interval keeps them spread."""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# The share of the hash the phase uses: 32 bits. PostgreSQL computes the same fraction
# (`PHASE_SQL` in the salons adapter), so its tick and this module agree to the microsecond.
_PHASE_BITS = 32


def phase(company_id: int) -> float:
    """The salon's place in any period, in [0, 1): the first 32 bits of md5(company id)."""
    digest = hashlib.md5(str(company_id).encode(), usedforsecurity=False).hexdigest()
    return int(digest[: _PHASE_BITS // 4], 16) / 2**_PHASE_BITS


def next_slot(company_id: int, after: datetime, period: timedelta) -> datetime:
    """The salon's first slot strictly after `after`: epoch + (k + phase) × period."""
    every = period.total_seconds()
    offset = phase(company_id) * every
    since = (after - _EPOCH).total_seconds() - offset
    return _EPOCH + timedelta(seconds=(math.floor(since / every) + 1) * every + offset)


def last_slot(company_id: int, at: datetime, period: timedelta) -> datetime:
    """The salon's latest slot at or before `at`."""
    return next_slot(company_id, at, period) - period


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


def tick_seconds(interval_seconds: float) -> int:
    """How often the scheduler looks for due salons: a 180th of the interval, 1 to 10 s (a
    30-minute interval: every 10 s, about 6 salons a tick for 1,000 salons)."""
    return max(1, min(10, round(interval_seconds / 180)))
