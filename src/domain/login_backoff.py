"""Login back-off per account: exponential delays after consecutive failures, whoever tries.

The per-address limits stop one address; an attacker rotating addresses is stopped by the
account's own streak of failures. The first `FREE_FAILURES` cost nothing (typos); after that
each failure makes the next attempt wait twice as long, from `FIRST_DELAY` up to `MAX_DELAY`.
A correct password ends the streak. So an account can be guessed at most about
`max_guesses_per_day()` times a day, and its owner never waits more than `MAX_DELAY` for a
free slot. An attempt is counted as a failure when it is let through (before the password is
checked), so concurrent attempts cannot pass together through one free slot; a success then
clears the streak.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(minutes=5)
FORGET_AFTER = timedelta(days=1)  # a streak with no attempt for this long starts over


@dataclass(frozen=True, slots=True)
class Streak:
    """Consecutive failed (or pending) login attempts of one account."""

    failures: int = 0
    last_at: datetime | None = None


def delay_after(failures: int) -> timedelta:
    """How long the next attempt waits after `failures` consecutive failures."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = failures - FREE_FAILURES
    if doublings >= 32:  # far past the cap; no huge powers
        return MAX_DELAY
    return min(FIRST_DELAY * 2**doublings, MAX_DELAY)


def admit(streak: Streak, now: datetime) -> tuple[Streak, int | None]:
    """(the new streak, None) when an attempt may go ahead (it is counted as a failure until
    `Streak()` clears it), or (the streak unchanged, seconds to wait) when it must not."""
    if streak.last_at is not None and now - streak.last_at >= FORGET_AFTER:
        streak = Streak()
    if streak.last_at is not None:
        ready = streak.last_at + delay_after(streak.failures)
        if now < ready:
            return streak, max(1, math.ceil((ready - now).total_seconds()))
    return Streak(streak.failures + 1, now), None


def max_guesses_per_day() -> int:
    """The most attempts `admit` lets through for one account in a day (each one failing,
    each sent the moment it may be)."""
    at, failures, count = timedelta(0), 0, 0
    while at < FORGET_AFTER:
        count, failures = count + 1, failures + 1
        at += delay_after(failures)
    return count
