"""Locks that keep two syncs of one company from running at once.

PostgreSQL: a session advisory lock, held on a dedicated connection for the whole sync, so it
works across processes and hosts and is released if the process dies. SQLite (one process):
an asyncio lock per company.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# Namespaces the advisory lock ids so they cannot clash with other users of the database.
_LOCK_NAMESPACE = 0x59434C  # "YCL"


class AdvisorySyncLock:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def hold(self, company_id: int) -> AsyncIterator[bool]:
        async with self.engine.connect() as conn:
            acquired = bool(
                await conn.scalar(
                    text("SELECT pg_try_advisory_lock(:ns, :cid)"),
                    {"ns": _LOCK_NAMESPACE, "cid": company_id % 2**31},
                )
            )
            await conn.commit()
            try:
                yield acquired
            finally:
                if acquired:
                    await conn.execute(
                        text("SELECT pg_advisory_unlock(:ns, :cid)"),
                        {"ns": _LOCK_NAMESPACE, "cid": company_id % 2**31},
                    )
                    await conn.commit()


class LocalSyncLock:
    def __init__(self) -> None:
        self._held: set[int] = set()

    @asynccontextmanager
    async def hold(self, company_id: int) -> AsyncIterator[bool]:
        if company_id in self._held:
            yield False
            return
        self._held.add(company_id)
        try:
            yield True
        finally:
            self._held.discard(company_id)
