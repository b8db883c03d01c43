"""BookingRepository on SQL: one statement per batch, freshness decided in the database
(the upsert: `booking_writes.py`; rows to bookings: `booking_rows.py`)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, and_, bindparam, case, func, or_, select, true, update
from sqlalchemy.dialects.postgresql import ARRAY

from src.adapters.db.booking_rows import (
    VERSION_COLUMNS,
    WRITTEN_COLUMNS,
    as_written,
    bookings,
    to_booking,
    to_version,
)
from src.adapters.db.booking_writes import (
    PG_UPSERT,
    SQLITE_UPSERT,
    latest_per_key,
    pg_params,
    sqlite_params,
)
from src.adapters.db.executor import Executor, chunks
from src.adapters.db.models import RedemptionRow, table, utcnow
from src.application.ports.bookings import BookingQuery
from src.application.ports.paging import Page
from src.domain.booking import DELETE_CLOCK_SKEW, Booking, BookingKey, BookingStatus, MatchMethod
from src.domain.contacts import DEFAULT_REGION

_c = bookings.c
_r = table(RedemptionRow).c


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


_PG_BY_KEYS = {
    (lock, columns): _probe_each("rids", _same_key, cols, lock=lock)
    for lock in (False, True)
    for columns, cols in (("all", tuple(bookings.c)), ("versions", VERSION_COLUMNS))
}
_PG_LOCK_BY_IDS = _probe_each("ids", lambda k: _c.id == k, tuple(bookings.c), lock=True)


class SqlBookings:
    def __init__(self, db: Executor, phone_region: str = DEFAULT_REGION) -> None:
        self.db = db
        # client_phone_key is written with every booking: its phone read in the salon's region.
        self.phone_region = phone_region

    async def get(self, booking_id: int) -> Booking | None:
        row = (await self.db.execute(select(bookings).where(_c.id == booking_id))).first()
        return to_booking(row) if row else None

    async def get_by_ids(self, booking_ids: Collection[int]) -> dict[int, Booking]:
        out: dict[int, Booking] = {}
        for part in chunks(sorted(set(booking_ids)), 1):
            for row in await self.db.execute(select(bookings).where(_c.id.in_(part))):
                out[row.id] = to_booking(row)
        return out

    async def get_many(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        return {b.key: b for b in map(to_booking, await self._rows_by_keys(keys, lock=False))}

    async def get_versions(self, keys: Collection[BookingKey]) -> dict[BookingKey, Booking]:
        rows = await self._rows_by_keys(keys, lock=False, columns="versions")
        return {b.key: b for b in map(to_version, rows)}

    async def upsert_and_lock(
        self, batch: Sequence[Booking], want: Collection[BookingKey] | None = None
    ) -> dict[BookingKey, Booking]:
        rows = latest_per_key(batch)
        if not rows:
            return {}
        # INSERT ... ON CONFLICT DO UPDATE locks what it writes until commit: RETURNING those
        # rows spares a SELECT ... FOR UPDATE of the same rows. A row written holds the data
        # we sent, so only the columns the database decides come back.
        sent = {b.key: b for b in rows}
        wanted = set(sent) if want is None else set(want) & set(sent)
        out: dict[BookingKey, Booking] = {}
        for row in await self._write(rows, *WRITTEN_COLUMNS):
            key = BookingKey(row[0], row[1])
            if key in wanted:
                out[key] = as_written(sent[key], row)
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
            params = pg_params(rows, self.phone_region, now)
            return await self.db.execute(PG_UPSERT.returning(*returning), params)
        # SQLite: executemany of one compiled statement (sent as one multi-row INSERT).
        values = sqlite_params(rows, self.phone_region, now)
        return await self.db.execute(SQLITE_UPSERT.returning(*returning), values)

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
                    cols = bookings.c if columns == "all" else VERSION_COLUMNS
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
        now = utcnow()
        await self.db.update_each(
            _c.id,
            (
                (
                    b.id,
                    {
                        "bonus_points": b.bonus_points,
                        "bonus_percent": b.bonus_percent,
                        "bonus_basis": b.bonus_basis,
                        "ledger_step": b.ledger_step,
                        "loyalty_bonuses_awarded": b.loyalty_bonuses_awarded,
                        "updated_at": now,
                    },
                )
                for b in batch
            ),
        )

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
