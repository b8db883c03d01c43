"""SalonRepository on SQL: the salons table, and per-company webhook and sync activity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from src.adapters.db.executor import Executor
from src.adapters.db.models import SalonRow, SyncRunRow, WebhookEventRow, table
from src.application.ports.salons import SalonActivity
from src.domain.inbox import EventState
from src.domain.salon import Salon, SalonStatus
from src.domain.sync_run import RunStatus

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
        last_status = select(rc.company_id, rc.status).where(rc.id.in_(
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
        for cid, status in await self.db.execute(last_status):
            put(cid, last_sync_status=status)
        return [SalonActivity(cid, **found[cid]) for cid in sorted(found)]
