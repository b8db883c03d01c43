"""Authentication ports: password hashing, attempt throttling and login streaks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class PasswordHasher(Protocol):
    """Slow by design: implementations keep the work off the event loop."""

    async def hash(self, password: str) -> str: ...

    async def verify(self, password_hash: str, password: str) -> bool: ...


class AttemptCounters(Protocol):
    """Throttling counters over a sliding window, O(1) per attempt, bounded memory."""

    async def hit(self, limits: Sequence[tuple[str, int]], window: float) -> int | None:
        """Count one attempt against every `(key, limit)` unless one is at its limit: then
        count nothing and return the seconds to wait (None = allowed and counted)."""
        ...


class LoginStreaks(Protocol):
    """Consecutive failed logins per account (`src.domain.login_backoff`), shared by every
    process when Redis is configured."""

    async def admit(self, key: str) -> int | None:
        """Let one attempt go ahead, counted as a failure until `clear` (None), or refuse it:
        the seconds to wait."""
        ...

    async def clear(self, key: str) -> None:
        """A correct password: the streak starts over."""
        ...
