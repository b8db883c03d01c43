"""SyncRunRepository on SQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update

from src.adapters.db.executor import Executor
from src.adapters.db.models import SyncRunRow, table
from src.application.ports.paging import Page
from src.domain.sync_run import RunStatus, SyncCounts, SyncRun

runs = table(SyncRunRow)
_c = runs.c
_COUNT_COLUMNS = SyncCounts.__slots__  # type: ignore[attr-defined]


def to_run(row: Any) -> SyncRun:
    return SyncRun(
        company_id=row.company_id,
        trigger=row.trigger,
        started_at=row.started_at,
        status=RunStatus(row.status),
        counts=SyncCounts(**{name: getattr(row, name) for name in _COUNT_COLUMNS}),
        finished_at=row.finished_at,
        error=row.error,
        id=row.id,
        heartbeat_at=row.heartbeat_at,
        retry_of=row.retry_of,
        kind=row.kind,
    )


def _values(run: SyncRun) -> dict[str, Any]:
    return {
        "status": run.status.value,
        "started_at": run.started_at,
        "heartbeat_at": run.heartbeat_at,
        "finished_at": run.finished_at,
        "error": run.error,
        "kind": run.kind,
        **{name: getattr(run.counts, name) for name in _COUNT_COLUMNS},
    }


class SqlSyncRuns:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def add(self, run: SyncRun) -> SyncRun:
        stmt = (
            runs.insert()
            .values(company_id=run.company_id, trigger=run.trigger, retry_of=run.retry_of)
            .values(_values(run))
            .returning(_c.id)
        )
        new_id = (await self.db.execute(stmt)).scalar_one()
        return replace(run, id=new_id, counts=replace(run.counts))

    async def save(self, run: SyncRun) -> None:
        await self.db.execute(update(runs).where(_c.id == run.id).values(_values(run)))

    async def save_if(
        self, run: SyncRun, expected: RunStatus, stale_before: datetime | None = None
    ) -> bool:
        where = [_c.id == run.id, _c.status == expected.value]
        if stale_before is not None:
            where.append(_last_seen() < bindparam("stale_before", stale_before, _c.started_at.type))
        stmt = update(runs).where(*where).values(_values(run)).returning(_c.id)
        return (await self.db.execute(stmt)).first() is not None

    async def heartbeat(self, run_id: int, at: datetime) -> None:
        stmt = (
            update(runs)
            .where(_c.id == run_id, _c.status == RunStatus.RUNNING.value)
            .values(heartbeat_at=at)
        )
        await self.db.execute(stmt)

    async def lost(self, stale_before: datetime, limit: int) -> list[SyncRun]:
        stale = bindparam("stale_before", stale_before, _c.started_at.type)
        stmt = (
            select(runs)
            .where(
                or_(_c.status == RunStatus.QUEUED.value, _c.status == RunStatus.RUNNING.value),
                _last_seen() < stale,
            )
            .order_by(_c.id)
            .limit(limit)
        )
        return [to_run(row) for row in await self.db.execute(stmt)]

    async def last_succeeded(self, company_id: int, kind: str | None = None) -> SyncRun | None:
        stmt = select(runs).where(_c.company_id == company_id, _c.status == "SUCCEEDED")
        if kind is not None:
            stmt = stmt.where(_c.kind == kind)
        row = (await self.db.execute(stmt.order_by(_c.started_at.desc()).limit(1))).first()
        return to_run(row) if row else None

    async def get(self, run_id: int) -> SyncRun | None:
        row = (await self.db.execute(select(runs).where(_c.id == run_id))).first()
        return to_run(row) if row else None

    async def query(self, company_id: int | None, limit: int, offset: int) -> Page[SyncRun]:
        where = [] if company_id is None else [_c.company_id == company_id]
        stmt = select(runs).where(*where).order_by(_c.id.desc()).limit(limit).offset(offset)
        items = [to_run(row) for row in await self.db.execute(stmt)]
        count = select(func.count()).select_from(runs).where(*where)
        total = (await self.db.execute(count)).scalar_one()
        return Page(items=items, total=total, limit=limit, offset=offset)


def _last_seen() -> Any:
    return func.coalesce(_c.heartbeat_at, _c.started_at, type_=_c.started_at.type)
