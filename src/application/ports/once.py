"""The one-time keys port: staff actions done once per key."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from src.domain.once import OnceKey


class OnceKeyRepository(Protocol):
    """One-time keys of staff actions (`use_cases/once.py`): one row per (actor, key), unique
    in the database, with the answer the first request got."""

    async def claim(self, key: OnceKey) -> bool:
        """Insert the key unless (actor, key) is stored; True if this call inserted it. A
        concurrent claim of the same key waits for the other transaction, then loses."""
        ...

    async def get(self, actor_id: int, key: str) -> OnceKey | None: ...

    async def finish(self, actor_id: int, key: str, result: str) -> None: ...

    async def forget(self, actor_id: int, key: str) -> None: ...

    async def purge(self, before: datetime) -> int:
        """Delete keys created before `before`; how many."""
        ...
