"""BookingRepository on SQL: one statement per batch, freshness decided in the database."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    TIMESTAMP,
    BigInteger,
    Boolean,
    Numeric,
    SmallInteger,
    Text,
    and_,
    bindparam,
    case,
    cast,
    func,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import ARRAY, JSONB

from src.adapters.db.arrays import as_arrays, insert_from_arrays
from src.adapters.db.executor import Executor, chunks
from src.adapters.db.models import BookingRow, RedemptionRow, table, utcnow
from src.application.ports.bookings import BookingQuery
from src.application.ports.paging import Page
from src.domain.booking import (
    DELETE_CLOCK_SKEW,
    Booking,
    BookingKey,
    BookingStatus,
    MatchMethod,
)
from src.domain.contacts import DEFAULT_REGION
from src.domain.contacts import phone_key as contact_key

bookings = table(BookingRow)
_json = msgspec.json.Encoder()
_c = bookings.c
_r = table(RedemptionRow).c

# Columns an upsert copies from YClients; the link and the loyalty state are handled apart.
_DATA_COLUMNS = (
    "status", "appointment_at", "last_change_at", "price", "services", "staff_name",
    "client_name", "client_phone", "client_email", "comment", "deleted", "utc_offset_minutes",
    "client_phone_key",
)  # fmt: skip
_LINK_COLUMNS = ("user_id", "match_method", "unmatched_reason")


_STATUSES = {s.value: s for s in BookingStatus}  # faster than calling the enum
_METHODS = {m.value: m for m in MatchMethod}


def to_booking(row: Any) -> Booking:
    return Booking(
        company_id=row.company_id,
        record_id=row.yclients_record_id,
        status=_STATUSES[row.status],
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
        utc_offset_minutes=row.utc_offset_minutes,
        id=row.id,
        user_id=row.user_id,
        match_method=_METHODS[row.match_method] if row.match_method else None,
        unmatched_reason=row.unmatched_reason,
        bonus_points=row.bonus_points,
        bonus_percent=row.bonus_percent,
        bonus_basis=row.bonus_basis,
        ledger_step=row.ledger_step,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _to_version(row: Any) -> Booking:
    """A booking read by `get_versions` (`_VERSION_COLUMNS`, in order): services, staff and
    client name left empty. Rows are unpacked by position: this runs for every record of
    every sync."""
    (id_, company, record, user_id, method, reason, status, appointment_at, changed, price,
     phone, email, comment, deleted, points, percent, basis, step, created) = row  # fmt: skip
    return Booking(
        company_id=company,
        record_id=record,
        status=_STATUSES[status],
        appointment_at=appointment_at,
        last_change_at=changed,
        price=price,
        client_phone=phone,
        client_email=email,
        comment=comment,
        deleted=deleted,
        id=id_,
        user_id=user_id,
        match_method=_METHODS[method] if method else None,
        unmatched_reason=reason,
        bonus_points=points,
        bonus_percent=percent,
        bonus_basis=basis,
        ledger_step=step,
        created_at=created,
    )


def _insert_values(b: Booking, now: datetime, region: str) -> dict[str, Any]:
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
        "client_phone_key": contact_key(b.client_phone, region),
        "comment": b.comment,
        "deleted": b.deleted,
        "utc_offset_minutes": b.utc_offset_minutes,
        "user_id": b.user_id,
        "match_method": b.match_method.value if b.match_method else None,
        "unmatched_reason": b.unmatched_reason,
        "created_at": now,
        "updated_at": now,
    }


# What an upsert decides rather than copies from the booking it is given.
_STATE_COLUMNS = (
    _c.id, _c.company_id, _c.yclients_record_id, *(_c[n] for n in _LINK_COLUMNS),
    _c.bonus_points, _c.bonus_percent, _c.bonus_basis, _c.ledger_step, _c.created_at,
    _c.updated_at,
)  # fmt: skip


def _as_written(sent: Booking, row: Any) -> Booking:
    """The booking as stored after an upsert wrote it: the data sent, the rest from `row`
    (the `_STATE_COLUMNS`, in order)."""
    (id_, _, _, user_id, method, reason, points, percent, basis, step, created, updated) = row
    return Booking(
        company_id=sent.company_id,
        record_id=sent.record_id,
        status=sent.status,
        appointment_at=sent.appointment_at,
        last_change_at=sent.last_change_at,
        price=sent.price,
        services=sent.services,
        staff_name=sent.staff_name,
        client_name=sent.client_name,
        client_phone=sent.client_phone,
        client_email=sent.client_email,
        comment=sent.comment,
        deleted=sent.deleted,
        utc_offset_minutes=sent.utc_offset_minutes,
        id=id_,
        user_id=user_id,
        match_method=_METHODS[method] if method else None,
        unmatched_reason=reason,
        bonus_points=points,
        bonus_percent=percent,
        bonus_basis=basis,
        ledger_step=step,
        created_at=created,
        updated_at=updated,
    )


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


def _by_company(keys: Iterable[BookingKey]) -> dict[int, list[int]]:
    """Record ids per company, sorted: `company_id = c AND record_id IN (...)` is one index
    range scan, where a list of (company, record) pairs is planned as one scan per pair."""
    out: dict[int, set[int]] = {}
    for k in keys:
        out.setdefault(k.company_id, set()).add(k.record_id)
    return {c: sorted(ids) for c, ids in sorted(out.items())}


_BIGINTS = ARRAY(BigInteger)


def _probe_each(name: str, match: Callable[[Any], Any], columns: Any, *, lock: bool) -> Any:
    """PostgreSQL: the bookings matching each element of the array parameter `name`, one
    unique-index probe per element (a LATERAL subquery with LIMIT 1 is never flattened into
    a join). An `IN (...)` list of a few hundred values is planned from column statistics
    instead, which a table filling up during its first sync does not have yet: PostgreSQL
    then scans the whole company for every page, and the sync slows down page after page.
    With `lock`, rows are locked in the array's order."""
    probe = func.unnest(bindparam(name, type_=_BIGINTS)).table_valued("k")
    probe = probe.render_derived(name="probe")
    one = select(*columns).where(match(probe.c.k)).limit(1)
    if lock:
        one = one.with_for_update()
    found = one.lateral("found")
    return select(found).select_from(probe).join(found, true())


def _same_key(k: Any) -> Any:
    return and_(_c.company_id == bindparam("cid"), _c.yclients_record_id == k)


# What `get_versions` reads: all but the columns only shown to people (`_to_version` order).
_VERSION_COLUMNS = (
    _c.id, _c.company_id, _c.yclients_record_id, _c.user_id, _c.match_method,
    _c.unmatched_reason, _c.status, _c.appointment_at, _c.last_change_at, _c.price,
    _c.client_phone, _c.client_email, _c.comment, _c.deleted, _c.bonus_points,
    _c.bonus_percent, _c.bonus_basis, _c.ledger_step, _c.created_at,
)  # fmt: skip
_PG_BY_KEYS = {
    (lock, columns): _probe_each("rids", _same_key, cols, lock=lock)
    for lock in (False, True)
    for columns, cols in (("all", tuple(bookings.c)), ("versions", _VERSION_COLUMNS))
}
_PG_LOCK_BY_IDS = _probe_each("ids", lambda k: _c.id == k, tuple(bookings.c), lock=True)


def _upsert(insert: Any) -> Any:
    """ON CONFLICT (company, record) DO UPDATE, only with a fresher version (or the same
    version while the stored row is unlinked); the link is taken only while there is none."""
    new = insert.excluded
    unlinked = _c.user_id.is_(None)
    # The version-order rule (`src/domain/versions.py`: `last_change_date`, a deletion wins a
    # tie), enforced here in SQL so that concurrent writers cannot step back a version.
    fresher = or_(
        new.last_change_at > _c.last_change_at,
        and_(
            new.last_change_at == _c.last_change_at,
            or_(and_(new.deleted, not_(_c.deleted)), unlinked),
        ),
    )
    set_: dict[str, Any] = {name: new[name] for name in _DATA_COLUMNS}
    set_.update({name: case((unlinked, new[name]), else_=_c[name]) for name in _LINK_COLUMNS})
    set_["updated_at"] = new.updated_at
    return insert.on_conflict_do_update(
        index_elements=[_c.company_id, _c.yclients_record_id], set_=set_, where=fresher
    )


# PostgreSQL: rows arrive as one array per column and are unnested into INSERT ... SELECT.
_ARRAY_COLUMNS: dict[str, Any] = {
    "company_id": BigInteger, "yclients_record_id": BigInteger, "status": Text,
    "appointment_at": TIMESTAMP(timezone=True), "last_change_at": TIMESTAMP(timezone=True),
    "price": Numeric(12, 2), "services": Text, "staff_name": Text, "client_name": Text,
    "client_phone": Text, "client_email": Text, "comment": Text, "deleted": Boolean,
    "utc_offset_minutes": SmallInteger, "user_id": BigInteger, "match_method": Text,
    "unmatched_reason": Text, "client_phone_key": Text,
}  # fmt: skip


def _pg_upsert() -> Any:
    now = bindparam("now", type_=TIMESTAMP(timezone=True))
    insert = insert_from_arrays(
        bookings,
        _ARRAY_COLUMNS,
        casts={"services": lambda v: cast(v, JSONB)},
        constants={"created_at": now, "updated_at": now},
    )
    return _upsert(insert)


def _column_arrays(rows: Sequence[Booking], region: str) -> dict[str, Any]:
    """The rows as one list per column of `_ARRAY_COLUMNS`."""
    return as_arrays(
        list(_ARRAY_COLUMNS),
        (
            (
                b.company_id,
                b.record_id,
                b.status.value,
                b.appointment_at,
                b.last_change_at,
                b.price,
                _services_json(b.services),
                b.staff_name,
                b.client_name,
                b.client_phone,
                b.client_email,
                b.comment,
                b.deleted,
                b.utc_offset_minutes,
                b.user_id,
                b.match_method.value if b.match_method else None,
                b.unmatched_reason,
                contact_key(b.client_phone, region),
            )
            for b in rows
        ),
    )


def _services_json(services: Sequence[tuple[str, Decimal]]) -> str:
    return _json.encode([[title, str(cost)] for title, cost in services]).decode()


_PG_UPSERT = _pg_upsert()
_SQLITE_UPSERT = _upsert(sqlite.insert(bookings))


class SqlBookings:
    def __init__(self, db: Executor, phone_region: str = DEFAULT_REGION) -> None:
        self.db = db
        # client_phone_key is written with every booking: its phone read in the salon's region.
        self.phone_region = phone_region

    async def get(self, booking_id: int) -> Booking | None:
        row = (await self.db.execute(select(bookings).where(_c.id == booking_id))).first()
        return to_booking(row) if row else None

    async def get_many(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        return {b.key: b for b in map(to_booking, await self._rows_by_keys(keys, lock=False))}

    async def get_versions(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        rows = await self._rows_by_keys(keys, lock=False, columns="versions")
        return {b.key: b for b in map(_to_version, rows)}

    async def upsert_many(self, batch: Sequence[Booking]) -> dict[BookingKey, int]:
        rows = _latest_per_key(batch)
        if not rows:
            return {}
        result = await self._write(rows, _c.id, _c.company_id, _c.yclients_record_id)
        ids = {BookingKey(c, r): i for i, c, r in result}
        # Keys whose stored row was fresher were not returned: fetch their ids.
        missing = [b.key for b in rows if b.key not in ids]
        if missing:
            for row in await self._rows_by_keys(missing, lock=False):
                ids[BookingKey(row.company_id, row.yclients_record_id)] = row.id
        return ids

    async def upsert_and_lock(
        self, batch: Sequence[Booking], want: Collection[BookingKey] | None = None
    ) -> dict[BookingKey, Booking]:
        rows = _latest_per_key(batch)
        if not rows:
            return {}
        # INSERT ... ON CONFLICT DO UPDATE locks what it writes until commit: RETURNING those
        # rows spares a SELECT ... FOR UPDATE of the same rows. A row written holds the data
        # we sent, so only the columns the database decides come back.
        sent = {b.key: b for b in rows}
        wanted = set(sent) if want is None else set(want) & set(sent)
        out: dict[BookingKey, Booking] = {}
        for row in await self._write(rows, *_STATE_COLUMNS):
            key = BookingKey(row[1], row[2])
            if key in wanted:
                out[key] = _as_written(sent[key], row)
        missing = [k for k in wanted if k not in out]
        if missing:
            out.update(
                (b.key, b) for b in map(to_booking, await self._rows_by_keys(missing, lock=True))
            )
        return out

    async def _write(self, rows: Sequence[Booking], *returning: Any) -> Any:
        now = utcnow()
        if self.db.is_postgres:
            # One array per column: a statement of 18 parameters whatever the batch size,
            # compiled and prepared once, with no per-value work in Python.
            params = _column_arrays(rows, self.phone_region)
            params["now"] = now
            return await self.db.execute(_PG_UPSERT.returning(*returning), params)
        # SQLite: executemany of one compiled statement (sent as one multi-row INSERT).
        values = [_insert_values(b, now, self.phone_region) for b in rows]
        return await self.db.execute(_SQLITE_UPSERT.returning(*returning), values)

    async def _rows_by_keys(
        self, keys: Collection[BookingKey], *, lock: bool, columns: str = "all"
    ) -> list[Any]:
        """Rows of these keys, one statement per company (and per 32k keys)."""
        out: list[Any] = []
        for company_id, record_ids in _by_company(keys).items():
            for part in chunks(record_ids, 1):
                if self.db.is_postgres:
                    # The statements are module constants (compiled once, cached by id).
                    params = {"cid": company_id, "rids": list(part)}
                    result = await self.db.execute_plain(_PG_BY_KEYS[lock, columns], params)
                else:
                    cols = bookings.c if columns == "all" else _VERSION_COLUMNS
                    stmt = select(*cols).where(
                        _c.company_id == company_id, _c.yclients_record_id.in_(part)
                    )
                    result = await self.db.execute(stmt)  # SQLite: writers are serialised
                out.extend(result)
        return out

    async def lock_many(self, ids: Collection[int]) -> list[Booking]:
        out: list[Booking] = []
        for part in chunks(sorted(set(ids)), 1):
            if self.db.is_postgres:
                result = await self.db.execute(_PG_LOCK_BY_IDS, {"ids": list(part)})
            else:
                stmt = select(bookings).where(_c.id.in_(part)).order_by(_c.id)
                result = await self.db.execute(stmt)  # SQLite: writers are serialised
            out.extend(map(to_booking, result))
        return sorted(out, key=lambda b: b.id)  # type: ignore[arg-type,return-value]

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
        fresh_until = bindparam(
            "fresh_until", at + DELETE_CLOCK_SKEW, type_=DateTimeUTC(timezone=True)
        )
        stmt = (
            update(bookings)
            .where(
                _c.company_id == key.company_id,
                _c.yclients_record_id == key.record_id,
                # Freshness, as for full records (a deletion wins a tie): a delete replayed
                # after a newer update must not cancel the booking.
                _c.last_change_at <= fresh_until,
            )
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

    async def lock_unmatched_by_contact(
        self, email: str | None, phone_key: str | None
    ) -> list[Booking]:
        if email is None and phone_key is None:
            return []
        matches = []
        if email is not None:
            matches.append(func.lower(_c.client_email) == email)
        if phone_key is not None:
            matches.append(_c.client_phone_key == phone_key)
        # Both served by partial indexes over unmatched bookings (the phone key is written
        # with every booking; migration 0012 filled it in for older ones).
        stmt = select(bookings).where(_c.user_id.is_(None), or_(*matches)).order_by(_c.id)
        if self.db.is_postgres:
            stmt = stmt.with_for_update()
        return [to_booking(r) for r in await self.db.execute(stmt)]

    async def points_candidates(self, after_id: int, limit: int) -> list[int]:
        # Completed visits whose points, percent or counted spend may be off, and cancelled /
        # no-show / deleted ones still holding points or spend. The award re-checks each on
        # the locked row, so the float arithmetic SQLite does here only widens the net.
        reversing = [BookingStatus.CANCELLED.value, BookingStatus.NO_SHOW.value]
        entitled = func.round(_c.price * _c.bonus_percent / 100, 2)
        stmt = (
            select(_c.id)
            .where(
                _c.id > after_id,
                _c.user_id.is_not(None),
                or_(
                    and_(
                        _c.status.in_(reversing),
                        or_(
                            _c.bonus_points != 0,
                            _c.bonus_basis != 0,
                            # a hold its cancelled visit did not release (loyalty was off)
                            _c.id.in_(select(_r.booking_id).where(_r.state == "HELD")),
                        ),
                    ),
                    and_(
                        _c.status == BookingStatus.COMPLETED.value,
                        or_(
                            _c.bonus_percent.is_(None),
                            _c.bonus_basis != _c.price,
                            _c.bonus_points != entitled,
                        ),
                    ),
                ),
            )
            .order_by(_c.id)
            .limit(limit)
        )
        return list((await self.db.execute(stmt)).scalars())
