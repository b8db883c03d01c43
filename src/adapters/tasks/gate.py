"""The `DrainGate` port: in one process a set; across processes a Redis key per company."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.asyncio import Redis

# How long a gate holds without its drain starting. It only bounds how long a lost message
# (a stream trimmed, Redis restarted) delays the next kick; the sweeper catches anything
# left after that.
DRAIN_MARKER_SECONDS = 30.0


class MemoryDrainGate:
    """One process (the in-process runner, the in-memory broker)."""

    def __init__(self) -> None:
        self._queued: set[int] = set()

    async def mark(self, company_ids: Sequence[int]) -> list[bool]:
        fresh = [c not in self._queued for c in company_ids]
        self._queued.update(company_ids)
        return fresh

    async def clear(self, company_id: int) -> None:
        self._queued.discard(company_id)


class RedisDrainGate:
    """Shared by the web and worker processes: a key per company, SET NX PX (it expires on its
    own, so a lost message delays the next kick by `DRAIN_MARKER_SECONDS` at most)."""

    def __init__(self, redis_pool: Any, prefix: str = "inbox-drain") -> None:
        self.pool = redis_pool
        self.prefix = prefix

    def _key(self, company_id: int) -> str:
        return f"{self.prefix}:{company_id}"

    async def mark(self, company_ids: Sequence[int]) -> list[bool]:
        async with Redis(connection_pool=self.pool) as redis:
            pipe = redis.pipeline(transaction=False)
            for company_id in company_ids:
                pipe.set(self._key(company_id), b"1", nx=True, px=int(DRAIN_MARKER_SECONDS * 1000))
            return [bool(done) for done in await pipe.execute()]

    async def clear(self, company_id: int) -> None:
        async with Redis(connection_pool=self.pool) as redis:
            await redis.delete(self._key(company_id))
