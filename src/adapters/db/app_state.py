"""AppStateRepository on SQL: one row per name."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from src.adapters.db.executor import Executor
from src.adapters.db.models import AppStateRow, table

app_state = table(AppStateRow)


class SqlAppState:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def get(self, name: str) -> str | None:
        stmt = select(app_state.c.value).where(app_state.c.name == name)
        return (await self.db.execute(stmt)).scalar()

    async def put(self, name: str, value: str, at: datetime) -> None:
        insert = self.db.insert(app_state)
        stmt = insert.values(name=name, value=value, updated_at=at).on_conflict_do_update(
            index_elements=[app_state.c.name],
            set_={"value": insert.excluded.value, "updated_at": insert.excluded.updated_at},
        )
        await self.db.execute(stmt)
