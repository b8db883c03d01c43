"""In-memory one-time keys (`OnceKeyRepository`)."""

from __future__ import annotations

import copy
from datetime import datetime

from src.domain.once import OnceKey
from tests.fakes.store import Store


class FakeOnceKeys:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def claim(self, key: OnceKey) -> bool:
        if (key.actor_id, key.key) in self.s.once_keys:
            return False
        self.s.once_keys[key.actor_id, key.key] = copy.copy(key)
        return True

    async def get(self, actor_id: int, key: str) -> OnceKey | None:
        found = self.s.once_keys.get((actor_id, key))
        return copy.copy(found) if found else None

    async def finish(self, actor_id: int, key: str, result: str) -> None:
        self.s.once_keys[actor_id, key].result = result

    async def forget(self, actor_id: int, key: str) -> None:
        self.s.once_keys.pop((actor_id, key), None)

    async def purge(self, before: datetime) -> int:
        old = [k for k, v in self.s.once_keys.items() if v.created_at < before]
        for k in old:
            del self.s.once_keys[k]
        return len(old)
