"""The booking upsert: one statement per batch, freshness decided in the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import msgspec
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
    not_,
    or_,
)
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql import JSONB

from src.adapters.db.arrays import as_arrays, insert_from_arrays
from src.adapters.db.booking_rows import bookings
from src.domain.booking import Booking, BookingKey
from src.domain.contacts import phone_key as contact_key

_json = msgspec.json.Encoder()
_c = bookings.c

# Columns an upsert copies from YClients; the link and the loyalty state are handled apart.
_DATA_COLUMNS = (
    "status", "appointment_at", "last_change_at", "price", "services", "staff_name",
    "client_name", "client_phone", "client_email", "comment", "deleted", "utc_offset_minutes",
    "client_phone_key",
)  # fmt: skip
_LINK_COLUMNS = ("user_id", "match_method", "unmatched_reason")


def latest_per_key(batch: Iterable[Booking]) -> list[Booking]:
    """One version per key (ON CONFLICT cannot touch a row twice), the one that would win,
    in key order so concurrent batches lock rows in the same order."""
    best: dict[BookingKey, Booking] = {}
    for b in batch:
        rank = (b.last_change_at, b.deleted, b.user_id is not None)
        kept = best.get(b.key)
        if kept is None or rank >= (kept.last_change_at, kept.deleted, kept.user_id is not None):
            best[b.key] = b
    return [best[k] for k in sorted(best, key=lambda k: (k.company_id, k.record_id))]


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


PG_UPSERT = _pg_upsert()
SQLITE_UPSERT = _upsert(sqlite.insert(bookings))


def _services_json(services: Sequence[tuple[str, Decimal]]) -> str:
    return _json.encode([[title, str(cost)] for title, cost in services]).decode()


def _row(b: Booking, region: str) -> tuple[Any, ...]:
    """A booking's values in `_ARRAY_COLUMNS` order (services as JSON text)."""
    return (
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


def pg_params(rows: Sequence[Booking], region: str, now: datetime) -> dict[str, Any]:
    """`PG_UPSERT`'s parameters: one list per column, and the time written."""
    params: dict[str, Any] = as_arrays(list(_ARRAY_COLUMNS), (_row(b, region) for b in rows))
    params["now"] = now
    return params


def sqlite_params(rows: Sequence[Booking], region: str, now: datetime) -> list[dict[str, Any]]:
    """`SQLITE_UPSERT`'s parameters: one dict per row (services as a JSON list)."""
    out = []
    for b in rows:
        values = dict(zip(_ARRAY_COLUMNS, _row(b, region), strict=True))
        values["services"] = [[title, str(cost)] for title, cost in b.services]
        values["created_at"] = values["updated_at"] = now
        out.append(values)
    return out
