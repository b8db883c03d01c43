"""SalonRepository on SQL: the salons table, and per-company webhook and sync activity."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Float, bindparam, func, or_, select, text, update

from src.adapters.db.executor import Executor
from src.adapters.db.models import SalonRow, SyncRunRow, WebhookEventRow, table
from src.application.ports.salons import SalonActivity
from src.domain.inbox import EventState
from src.domain.salon import Salon, SalonStatus
from src.domain.sync_run import RunStatus
from src.domain.sync_schedule import GOLDEN, next_slot

salons = table(SalonRow)
events = table(WebhookEventRow)
runs = table(SyncRunRow)
_c = salons.c


def to_salon(row: Any) -> Salon:
    return Salon(
        company_id=row.company_id,
        name=row.name,
        region=row.region,
        timezone=row.timezone,
        secret_digest=row.secret_digest,
        created_at=row.created_at,
        changed_at=row.changed_at,
        status=SalonStatus(row.status),
        accepts_shared_secret=bool(row.accepts_shared_secret),
        id=row.id,
        next_sync_at=row.next_sync_at,
        sync_failures=row.sync_failures,
    )


def _values(salon: Salon) -> dict[str, Any]:
    return {
        "name": salon.name,
        "region": salon.region,
        "timezone": salon.timezone,
        "status": salon.status.value,
        "secret_digest": salon.secret_digest,
        "accepts_shared_secret": salon.accepts_shared_secret,
        "changed_at": salon.changed_at,
    }


# `sync_schedule.phase` of the salon's row id, in SQL (double precision, as in Python).
_X = f"(CAST(s.id AS float8) * CAST({GOLDEN!r} AS float8))"
PHASE_SQL = f"({_X} - floor({_X}))"
# The scheduler's tick on PostgreSQL: one statement whatever the number of salons. Due
# salons move to their next slot and come back; a salon the scheduler has not seen yet
# (NULL) only gets its slot, so salons added together start spread over the interval too.
# SKIP LOCKED: two schedulers ticking at once claim disjoint salons.
_CLAIM_PG = text(f"""
WITH due AS (
    SELECT id, next_sync_at AS was FROM salons
    WHERE status = 'active' AND (next_sync_at IS NULL OR next_sync_at <= :now)
    FOR UPDATE SKIP LOCKED
)
UPDATE salons AS s
SET next_sync_at = to_timestamp(
    (floor((extract(epoch FROM CAST(:now AS timestamptz))::float8 - {PHASE_SQL} * :every)
           / :every) + 1) * :every + {PHASE_SQL} * :every)
FROM due WHERE s.id = due.id
RETURNING s.company_id, due.was IS NOT NULL AS run
""").bindparams(bindparam("now", type_=DateTime(timezone=True)), bindparam("every", type_=Float()))


class SqlSalons:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def add_if_missing(self, salon: Salon) -> bool:
        stmt = (
            self.db.insert(salons)
            .values(company_id=salon.company_id, created_at=salon.created_at, **_values(salon))
            .on_conflict_do_nothing(index_elements=[_c.company_id])
            .returning(_c.id)
        )
        return (await self.db.execute(stmt)).first() is not None

    async def get(self, company_id: int) -> Salon | None:
        row = (await self.db.execute(select(salons).where(_c.company_id == company_id))).first()
        return to_salon(row) if row else None

    async def all(self) -> list[Salon]:
        return [to_salon(r) for r in await self.db.execute(select(salons).order_by(_c.company_id))]

    async def active_ids(self) -> list[int]:
        stmt = (
            select(_c.company_id)
            .where(_c.status == SalonStatus.ACTIVE.value)
            .order_by(_c.company_id)
        )
        return list((await self.db.execute(stmt)).scalars())

    async def claim_due(self, now: datetime, interval: timedelta) -> list[int]:
        if self.db.is_postgres:
            result = await self.db.execute(
                _CLAIM_PG, {"now": now, "every": interval.total_seconds()}
            )
            return sorted(company_id for company_id, run in result if run)
        # SQLite (one process, writers serialised): read, then move each to its slot.
        due = select(_c.company_id, _c.next_sync_at, _c.id).where(
            _c.status == SalonStatus.ACTIVE.value,
            or_(_c.next_sync_at.is_(None), _c.next_sync_at <= now),
        )
        rows = list(await self.db.execute(due))
        if rows:
            stmt = (
                update(salons)
                .where(_c.company_id == bindparam("cid"))
                .values(next_sync_at=bindparam("at", type_=_c.next_sync_at.type))
            )
            values = [{"cid": cid, "at": next_slot(key, now, interval)} for cid, _, key in rows]
            await self.db.execute(stmt, values)
        return sorted(cid for cid, was, _ in rows if was is not None)

    async def sync_failed(self, company_id: int) -> int:
        stmt = (
            update(salons)
            .where(_c.company_id == company_id)
            .values(sync_failures=_c.sync_failures + 1)
            .returning(_c.sync_failures)
        )
        return (await self.db.execute(stmt)).scalar_one_or_none() or 0

    async def defer_sync(self, company_id: int, until: datetime) -> None:
        at = bindparam("until", until, _c.next_sync_at.type)
        stmt = (
            update(salons)
            .where(_c.company_id == company_id)
            .where(or_(_c.next_sync_at.is_(None), _c.next_sync_at < at))
            .values(next_sync_at=at)
        )
        await self.db.execute(stmt)

    async def sync_succeeded(self, company_id: int) -> None:
        stmt = (
            update(salons)
            .where(_c.company_id == company_id, _c.sync_failures != 0)
            .values(sync_failures=0)
        )
        await self.db.execute(stmt)

    async def save(self, salon: Salon) -> bool:
        stmt = (
            update(salons)
            .where(_c.company_id == salon.company_id)
            .values(_values(salon))
            .returning(_c.id)
        )
        return (await self.db.execute(stmt)).first() is not None

    async def release_held(self, company_ids: list[int] | None, at: datetime) -> dict[int, int]:
        ec = events.c
        if company_ids is None:
            active = select(_c.company_id).where(_c.status == SalonStatus.ACTIVE.value)
            whose = ec.company_id.in_(active.scalar_subquery())
        else:
            whose = ec.company_id.in_(company_ids)
        stmt = (
            update(events)
            .where(ec.state == EventState.HELD.value, whose)
            .values(state=EventState.PENDING.value, attempted_at=at)
            .returning(ec.company_id)
        )
        released: dict[int, int] = {}
        for company_id in (await self.db.execute(stmt)).scalars():
            released[company_id] = released.get(company_id, 0) + 1
        return released

    async def activity(self, since: datetime) -> list[SalonActivity]:
        ec, rc = events.c, runs.c
        received = (
            select(ec.company_id, func.count())
            .where(ec.received_at >= since)
            .group_by(ec.company_id)
        )
        held = (
            select(ec.company_id, func.count())
            .where(ec.state == EventState.HELD.value)
            .group_by(ec.company_id)
        )
        synced = (
            select(rc.company_id, func.max(rc.finished_at))
            .where(rc.status == RunStatus.SUCCEEDED.value)
            .group_by(rc.company_id)
        )
        newest = (
            select(rc.company_id, func.max(rc.id))
            .where(rc.finished_at.is_not(None))
            .group_by(rc.company_id)
        )
        last_status = select(rc.company_id, rc.status, rc.kind, rc.requests).where(rc.id.in_(
            select(newest.subquery().c[1])
        ))  # fmt: skip
        found: dict[int, dict[str, Any]] = {}

        def put(company_id: int, **values: Any) -> None:
            found.setdefault(company_id, {}).update(values)

        for cid, n in await self.db.execute(received):
            put(cid, webhooks_since=n)
        for cid, n in await self.db.execute(held):
            put(cid, held=n)
        for cid, at in await self.db.execute(synced):
            put(cid, last_sync_at=at)
        for cid, status, kind, requests in await self.db.execute(last_status):
            put(cid, last_sync_status=status, last_run_kind=kind, last_run_requests=requests)
        return [SalonActivity(cid, **found[cid]) for cid in sorted(found)]
