"""The YClients request budget: one pace for every request the whole deployment makes.

YClients allows a few requests a second per IP address for everything a deployment does
(docs/yclients/CONTRACT.md, section 6), so the pace is shared by every process, spread
fairly among salons and given first to what a person or a webhook waits on."""

from __future__ import annotations

from enum import IntEnum
from typing import Protocol


class Priority(IntEnum):
    """Who waits on a YClients request. Lower goes first."""

    # A webhook's record re-fetched, a manual sync: a person or an event waits on it.
    INTERACTIVE = 0
    # Scheduled syncs: nobody waits; they take what the interactive work leaves.
    BACKGROUND = 1


# Sync triggers a person waits on (the API / console button, the CLI); any other trigger
# (the schedule, the reaper's re-run) is background work.
INTERACTIVE_TRIGGERS = frozenset({"manual", "cli"})


def priority_of_trigger(trigger: str) -> Priority:
    return Priority.INTERACTIVE if trigger in INTERACTIVE_TRIGGERS else Priority.BACKGROUND


class RequestBudget(Protocol):
    """Paces YClients requests: `acquire` returns when this request may be sent.

    Requests are spaced evenly at the configured rate (no bursts); among the requests
    waiting, interactive ones go first, and within a priority the salons take turns
    (round-robin by company id), so one salon with many requests, or one whose requests
    keep failing and being retried, cannot starve the others."""

    async def acquire(self, company_id: int, priority: Priority) -> None: ...

    async def pause(self, seconds: float) -> None:
        """YClients answered 429: no request of this budget goes out for `seconds`."""
        ...
