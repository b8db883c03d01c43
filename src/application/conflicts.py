"""The one retry loop for write conflicts.

A transaction that lost a race (a deadlock, a serialization failure, a unique key a
concurrent transaction took first: `ConcurrentUpdate`) is run again from the start, a few
times, with a short growing pause. Every use case that writes under contention calls this
instead of writing the loop out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from src.application.errors import ConcurrentUpdate

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_CONFLICT_ATTEMPTS = 5


async def retry_on_conflict(
    work: Callable[[], Awaitable[T]],
    *,
    attempts: int = MAX_CONFLICT_ATTEMPTS,
    log_as: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> T:
    """`await work()`, again on `ConcurrentUpdate` up to `attempts` times in all (the last
    conflict is raised). `log_as` names the info line written before each retry."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
            if log_as is not None:
                log.info(log_as, extra={"attempt": attempt, **(extra or {})})
            await asyncio.sleep(0.01 * attempt)
    raise AssertionError("unreachable")
