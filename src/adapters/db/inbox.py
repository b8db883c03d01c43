"""InboxRepository on SQL: the durable webhook inbox."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    Integer,
    LargeBinary,
    Text,
    case,
    func,
    or_,
    select,
    update,
)

from src.adapters.db.arrays import as_arrays, insert_from_arrays
from src.adapters.db.executor import Executor
from src.adapters.db.models import WebhookEventRow, table
from src.application.ports.paging import Page
from src.domain.inbox import EventState, WebhookEvent

events = table(WebhookEventRow)
_c = events.c


def to_event(row: Any) -> WebhookEvent:
    return WebhookEvent(
        company_id=row.company_id,
        resource=row.resource,
        resource_id=row.resource_id,
        event_status=row.event_status,
        body=bytes(row.body),
        dedupe_key=row.dedupe_key,
        received_at=row.received_at,
        state=EventState(row.state),
        attempts=row.attempts,
        last_error=row.last_error,
        processed_at=row.processed_at,
        attempted_at=row.attempted_at,
        retry_at=row.retry_at,
        id=row.id,
    )


_EVENT_COLUMNS: dict[str, Any] = {
    "company_id": BigInteger, "resource": Text, "resource_id": BigInteger,
    "event_status": Text, "body": LargeBinary, "dedupe_key": Text,
    "received_at": TIMESTAMP(timezone=True), "state": Text, "attempts": Integer,
    "last_error": Text, "processed_at": TIMESTAMP(timezone=True),
}  # fmt: skip
# PostgreSQL: a batch of events in one INSERT (one array per column); a dedupe key already
# stored (or twice in the batch) is skipped, and only the rows inserted come back.
_PG_ADD_MANY = (
    insert_from_arrays(events, _EVENT_COLUMNS)
    .on_conflict_do_nothing(index_elements=[_c.dedupe_key])
    .returning(_c.id, _c.dedupe_key)
)


def _event_row(e: WebhookEvent) -> tuple[Any, ...]:
    """An event's values in `_EVENT_COLUMNS` order."""
    return (e.company_id, e.resource, e.resource_id, e.event_status, e.body, e.dedupe_key,
            e.received_at, e.state.value, e.attempts, e.last_error, e.processed_at)  # fmt: skip


class SqlInbox:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def _add(self, event: WebhookEvent) -> tuple[int, bool]:
        stmt = (
            self.db.insert(events)
            .values(dict(zip(_EVENT_COLUMNS, _event_row(event), strict=True)))
            .on_conflict_do_nothing(index_elements=[_c.dedupe_key])
            .returning(_c.id)
        )
        new_id = (await self.db.execute(stmt)).scalar()
        if new_id is not None:
            return new_id, True
        existing = select(_c.id).where(_c.dedupe_key == event.dedupe_key)
        return (await self.db.execute(existing)).scalar_one(), False

    async def add_many(self, events: Sequence[WebhookEvent]) -> list[tuple[int, bool]]:
        if not self.db.is_postgres:  # SQLite (one process, one writer): one by one
            return [await self._add(e) for e in events]
        if not events:
            return []
        params = as_arrays(list(_EVENT_COLUMNS), map(_event_row, events))
        created = {key: i for i, key in await self.db.execute(_PG_ADD_MANY, params)}
        ids = dict(created)
        missing = sorted({e.dedupe_key for e in events} - set(created))
        if missing:
            stmt = select(_c.id, _c.dedupe_key).where(_c.dedupe_key.in_(missing))
            ids.update({key: i for i, key in await self.db.execute(stmt)})
        out = []
        for e in events:
            # The first event of a key this statement inserted is the created one.
            out.append((ids[e.dedupe_key], created.pop(e.dedupe_key, None) is not None))
        return out

    async def get(self, event_id: int) -> WebhookEvent | None:
        row = (await self.db.execute(select(events).where(_c.id == event_id))).first()
        return to_event(row) if row else None

    async def save(self, event: WebhookEvent) -> None:
        stmt = (
            update(events)
            .where(_c.id == event.id)
            .values(
                state=event.state.value,
                attempts=event.attempts,
                last_error=event.last_error,
                processed_at=event.processed_at,
                attempted_at=event.attempted_at,
                retry_at=event.retry_at,
            )
        )
        await self.db.execute(stmt)

    async def query(self, state: EventState | None, limit: int, offset: int) -> Page[WebhookEvent]:
        where = [] if state is None else [_c.state == state.value]
        stmt = select(events).where(*where).order_by(_c.id.desc()).limit(limit).offset(offset)
        items = [to_event(row) for row in await self.db.execute(stmt)]
        count = select(func.count()).select_from(events).where(*where)
        total = (await self.db.execute(count)).scalar_one()
        return Page(items=items, total=total, limit=limit, offset=offset)

    async def claim(
        self,
        limit: int,
        *,
        now: datetime,
        include: int | None = None,
        company_id: int | None = None,
        ids: Collection[int] | None = None,
    ) -> list[WebhookEvent]:
        pending = _c.state == EventState.PENDING.value
        due = or_(_c.retry_at.is_(None), _c.retry_at <= now)
        where: list[Any] = [pending]
        order: list[Any] = []
        if include is not None:
            # The named event's company, in the same statement; that event first.
            owner = select(events.c.company_id).where(events.c.id == include).scalar_subquery()
            where += [_c.company_id == owner, or_(_c.id == include, due)]
            order.append(case((_c.id == include, 0), else_=1))
        else:
            where.append(due)
            if company_id is not None:
                where.append(_c.company_id == company_id)
        if ids is not None:
            where.append(_c.id.in_(sorted(ids)))
        stmt = (
            select(events)
            .where(*where)
            .order_by(*order, _c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [to_event(row) for row in await self.db.execute(stmt)]

    async def mark_processed(self, ids: Collection[int], at: datetime) -> None:
        if not ids:
            return
        stmt = (
            update(events)
            .where(_c.id.in_(sorted(ids)))
            .values(
                state=EventState.PROCESSED.value,
                attempts=_c.attempts + 1,
                last_error=None,
                processed_at=at,
                attempted_at=at,
                retry_at=None,
            )
        )
        await self.db.execute(stmt)

    async def pending_before(self, before: datetime, limit: int) -> list[int]:
        stmt = (
            select(_c.id)
            .where(
                _c.state == EventState.PENDING.value,
                _c.received_at < before,
                or_(_c.attempted_at.is_(None), _c.attempted_at < before),
                # A failed event waits for its retry time (plus the sweep's own delay).
                or_(_c.retry_at.is_(None), _c.retry_at < before),
            )
            .order_by(_c.id)
            .limit(limit)
        )
        return list((await self.db.execute(stmt)).scalars())
