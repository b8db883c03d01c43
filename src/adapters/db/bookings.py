"""BookingRepository on SQL: one statement per batch, freshness decided in the database."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import and_, bindparam, case, func, not_, or_, select, tuple_, update

from src.adapters.db.executor import Executor, chunks
from src.adapters.db.models import BookingRow, table, utcnow
from src.application.ports import BookingQuery, Page
from src.domain.booking import Booking, BookingKey, BookingStatus, MatchMethod

bookings = table(BookingRow)
_c = bookings.c

# Columns an upsert copies from YClients; the link and the loyalty state are handled apart.
_DATA_COLUMNS = (
    "status", "appointment_at", "last_change_at", "price", "services", "staff_name",
    "client_name", "client_phone", "client_email", "comment", "deleted",
)  # fmt: skip
_LINK_COLUMNS = ("user_id", "match_method", "unmatched_reason")


def to_booking(row: Any) -> Booking:
    return Booking(
        company_id=row.company_id,
        record_id=row.yclients_record_id,
        status=BookingStatus(row.status),
        appointment_at=row.appointment_at,
        last_change_at=row.last_change_at,
        price=row.price,
        services=tuple((title, Decimal(cost)) for title, cost in row.services),
        staff_name=row.staff_name,
        client_name=row.client_name,
        client_phone=row.client_phone,
        client_email=row.client_email,
        comment=row.comment,
        deleted=row.deleted,
        id=row.id,
        user_id=row.user_id,
        match_method=MatchMethod(row.match_method) if row.match_method else None,
        unmatched_reason=row.unmatched_reason,
        bonus_points=row.bonus_points,
        bonus_percent=row.bonus_percent,
        bonus_basis=row.bonus_basis,
        ledger_step=row.ledger_step,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _insert_values(b: Booking, now: datetime) -> dict[str, Any]:
    return {
        "company_id": b.company_id,
        "yclients_record_id": b.record_id,
        "status": b.status.value,
        "appointment_at": b.appointment_at,
        "last_change_at": b.last_change_at,
        "price": b.price,
        "services": [[title, str(cost)] for title, cost in b.services],
        "staff_name": b.staff_name,
        "client_name": b.client_name,
        "client_phone": b.client_phone,
        "client_email": b.client_email,
        "comment": b.comment,
        "deleted": b.deleted,
        "user_id": b.user_id,
        "match_method": b.match_method.value if b.match_method else None,
        "unmatched_reason": b.unmatched_reason,
        "created_at": now,
        "updated_at": now,
    }


def _latest_per_key(batch: Iterable[Booking]) -> list[Booking]:
    """One version per key (ON CONFLICT cannot touch a row twice), the one that would win,
    in key order so concurrent batches lock rows in the same order."""
    best: dict[BookingKey, Booking] = {}
    for b in batch:
        rank = (b.last_change_at, b.deleted, b.user_id is not None)
        kept = best.get(b.key)
        if kept is None or rank >= (kept.last_change_at, kept.deleted, kept.user_id is not None):
            best[b.key] = b
    return [best[k] for k in sorted(best, key=lambda k: (k.company_id, k.record_id))]


def _key_filter(keys: Sequence[BookingKey]) -> Any:
    return tuple_(_c.company_id, _c.yclients_record_id).in_(
        [(k.company_id, k.record_id) for k in keys]
    )


class SqlBookings:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def get(self, booking_id: int) -> Booking | None:
        row = (await self.db.execute(select(bookings).where(_c.id == booking_id))).first()
        return to_booking(row) if row else None

    async def get_many(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        out: dict[BookingKey, Booking] = {}
        for part in chunks(list(set(keys)), 2):
            for row in await self.db.execute(select(bookings).where(_key_filter(part))):
                booking = to_booking(row)
                out[booking.key] = booking
        return out

    async def upsert_many(self, batch: Sequence[Booking]) -> dict[BookingKey, int]:
        rows = _latest_per_key(batch)
        if not rows:
            return {}
        now = utcnow()
        values = [_insert_values(b, now) for b in rows]
        ids: dict[BookingKey, int] = {}
        for part in chunks(values, len(values[0])):
            result = await self.db.execute(self._upsert(part))
            ids.update({BookingKey(c, r): i for i, c, r in result})
        # Keys whose stored row was fresher were not returned: fetch their ids.
        missing = [b.key for b in rows if b.key not in ids]
        for keys in chunks(missing, 2):
            stmt = select(_c.id, _c.company_id, _c.yclients_record_id).where(_key_filter(keys))
            found = await self.db.execute(stmt)
            ids.update({BookingKey(c, r): i for i, c, r in found})
        return ids

    def _upsert(self, values: Sequence[dict[str, Any]]) -> Any:
        insert = self.db.insert(bookings).values(values)
        new = insert.excluded
        unlinked = _c.user_id.is_(None)
        fresher = or_(
            new.last_change_at > _c.last_change_at,
            and_(
                new.last_change_at == _c.last_change_at,
                or_(and_(new.deleted, not_(_c.deleted)), unlinked),
            ),
        )
        set_: dict[str, Any] = {name: new[name] for name in _DATA_COLUMNS}
        # The link is taken only while the stored row has none (a link is never overwritten).
        set_.update({name: case((unlinked, new[name]), else_=_c[name]) for name in _LINK_COLUMNS})
        set_["updated_at"] = new.updated_at
        return insert.on_conflict_do_update(
            index_elements=[_c.company_id, _c.yclients_record_id], set_=set_, where=fresher
        ).returning(_c.id, _c.company_id, _c.yclients_record_id)

    async def lock_many(self, ids: Collection[int]) -> list[Booking]:
        out: list[Booking] = []
        for part in chunks(sorted(set(ids)), 1):
            # FOR UPDATE on PostgreSQL; SQLite omits it (its writers are serialised anyway).
            stmt = select(bookings).where(_c.id.in_(part)).order_by(_c.id).with_for_update()
            out.extend(to_booking(row) for row in await self.db.execute(stmt))
        return out

    async def save_loyalty(self, batch: Sequence[Booking]) -> None:
        if not batch:
            return
        now = utcnow()
        params = [
            {
                "b_id": b.id,
                "bonus_points": b.bonus_points,
                "bonus_percent": b.bonus_percent,
                "bonus_basis": b.bonus_basis,
                "ledger_step": b.ledger_step,
                "loyalty_bonuses_awarded": b.loyalty_bonuses_awarded,
                "updated_at": now,
            }
            for b in batch
        ]
        # executemany: one statement whatever the batch size.
        await self.db.execute(update(bookings).where(_c.id == bindparam("b_id")), params)

    async def relink(self, booking_id: int, user_id: int, method: MatchMethod) -> None:
        stmt = (
            update(bookings)
            .where(_c.id == booking_id)
            .values(
                user_id=user_id,
                match_method=method.value,
                unmatched_reason=None,
                updated_at=utcnow(),
            )
        )
        await self.db.execute(stmt)

    async def mark_deleted(self, key: BookingKey, at: datetime) -> int | None:
        at_ = bindparam("at", at, type_=DateTimeUTC(timezone=True))
        stmt = (
            update(bookings)
            .where(_c.company_id == key.company_id, _c.yclients_record_id == key.record_id)
            .values(
                deleted=True,
                status=BookingStatus.CANCELLED.value,
                last_change_at=case((_c.last_change_at < at_, at_), else_=_c.last_change_at),
                updated_at=utcnow(),
            )
            .returning(_c.id)
        )
        return (await self.db.execute(stmt)).scalar()

    async def query(self, q: BookingQuery) -> Page[Booking]:
        where: list[Any] = []
        if q.user_id is not None:
            where.append(_c.user_id == q.user_id)
        if q.statuses is not None:
            where.append(_c.status.in_(sorted(s.value for s in q.statuses)))
        if q.starts_from is not None:
            where.append(_c.appointment_at >= q.starts_from)
        if q.unmatched_only:
            where.append(_c.user_id.is_(None))
        # Upcoming lists run nearest first; everything else newest first.
        if q.starts_from is not None:
            order = (_c.appointment_at.asc(), _c.id.asc())
        else:
            order = (_c.appointment_at.desc(), _c.id.desc())
        rows = await self.db.execute(
            select(bookings).where(*where).order_by(*order).limit(q.limit).offset(q.offset)
        )
        items = [to_booking(row) for row in rows]
        total = (
            await self.db.execute(select(func.count()).select_from(bookings).where(*where))
        ).scalar_one()
        return Page(items=items, total=total, limit=q.limit, offset=q.offset)
