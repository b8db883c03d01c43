"""OnceKeyRepository on SQL: the primary key (actor_id, key) makes a claim win once."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import delete, select, update

from src.adapters.db.executor import Executor
from src.adapters.db.models import OnceKeyRow, table
from src.domain.once import OnceKey

once_keys = table(OnceKeyRow)


class SqlOnceKeys:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def claim(self, key: OnceKey) -> bool:
        # ON CONFLICT DO NOTHING: a concurrent claim of the same key waits for ours to commit
        # (PostgreSQL) or for the write lock (SQLite), then inserts nothing.
        stmt = (
            self.db.insert(once_keys)
            .values({**asdict(key), "result": None})
            .on_conflict_do_nothing(index_elements=[once_keys.c.actor_id, once_keys.c.key])
            .returning(once_keys.c.actor_id)
        )
        return (await self.db.execute(stmt)).first() is not None

    async def get(self, actor_id: int, key: str) -> OnceKey | None:
        stmt = select(once_keys).where(once_keys.c.actor_id == actor_id, once_keys.c.key == key)
        row = (await self.db.execute(stmt)).first()
        if row is None:
            return None
        return OnceKey(
            row.actor_id, row.key, row.action, row.fingerprint, row.created_at, row.result
        )

    async def finish(self, actor_id: int, key: str, result: str) -> None:
        await self.db.execute(
            update(once_keys)
            .where(once_keys.c.actor_id == actor_id, once_keys.c.key == key)
            .values(result=result)
        )

    async def forget(self, actor_id: int, key: str) -> None:
        await self.db.execute(
            delete(once_keys).where(once_keys.c.actor_id == actor_id, once_keys.c.key == key)
        )

    async def purge(self, before: datetime) -> int:
        result = await self.db.execute(delete(once_keys).where(once_keys.c.created_at < before))
        return int(getattr(result, "rowcount", 0) or 0)
