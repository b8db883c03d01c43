"""QuarantineRepository on SQL: records set aside, one row per record (the last reason)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from src.adapters.db.executor import Executor
from src.adapters.db.models import QuarantinedRecordRow, table
from src.application.ports.paging import Page
from src.domain.quarantine import QuarantinedRecord

quarantined = table(QuarantinedRecordRow)
_c = quarantined.c


def _to_record(row: Any) -> QuarantinedRecord:
    return QuarantinedRecord(
        company_id=row.company_id,
        record_id=row.record_id,
        source=row.source,
        reason=row.reason,
        quarantined_at=row.quarantined_at,
        field=row.field,
        id=row.id,
    )


class SqlQuarantine:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def add_many(self, records: Sequence[QuarantinedRecord]) -> None:
        if not records:
            return
        latest = {(r.company_id, r.record_id): r for r in records}  # one row per key
        stmt = self.db.insert(quarantined).values([
            {"company_id": r.company_id, "record_id": r.record_id, "source": r.source,
             "field": r.field, "reason": r.reason, "quarantined_at": r.quarantined_at}
            for r in latest.values()
        ])  # fmt: skip
        stmt = stmt.on_conflict_do_update(
            index_elements=[_c.company_id, _c.record_id],
            set_={
                "source": stmt.excluded.source,
                "field": stmt.excluded.field,
                "reason": stmt.excluded.reason,
                "quarantined_at": stmt.excluded.quarantined_at,
            },
        )
        await self.db.execute(stmt)

    async def query(
        self, company_id: int | None, limit: int, offset: int
    ) -> Page[QuarantinedRecord]:
        where = [] if company_id is None else [_c.company_id == company_id]
        stmt = (
            select(quarantined)
            .where(*where)
            .order_by(_c.quarantined_at.desc(), _c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        items = [_to_record(row) for row in await self.db.execute(stmt)]
        count = select(func.count()).select_from(quarantined).where(*where)
        total = (await self.db.execute(count)).scalar_one()
        return Page(items=items, total=total, limit=limit, offset=offset)
