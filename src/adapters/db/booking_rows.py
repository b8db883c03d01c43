"""Booking rows and domain `Booking`s: the conversions the booking repository reads with."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from src.adapters.db.models import BookingRow, table
from src.domain.booking import Booking, BookingStatus, MatchMethod

bookings = table(BookingRow)
_c = bookings.c

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


# What the database decides rather than copies from YClients (`to_version` order).
_STATE = (
    _c.id, _c.user_id, _c.match_method, _c.unmatched_reason, _c.bonus_points,
    _c.bonus_percent, _c.bonus_basis, _c.ledger_step, _c.created_at,
)  # fmt: skip

# What `get_versions` reads: all but the columns only shown to people (`to_version` order).
VERSION_COLUMNS = (
    _c.company_id, _c.yclients_record_id, _c.status, _c.appointment_at, _c.last_change_at,
    _c.price, _c.client_phone, _c.client_email, _c.comment, _c.deleted, *_STATE,
)  # fmt: skip


def to_version(row: Any) -> Booking:
    """A booking read with `VERSION_COLUMNS`: services, staff and client name left empty.
    Rows are unpacked by position: this runs for every record of every sync."""
    (company, record, status, appointment_at, changed, price, phone, email, comment, deleted,
     id_, user_id, method, reason, points, percent, basis, step, created) = row  # fmt: skip
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


# What an upsert returns: the key, then what it decided rather than copied (`as_written`).
WRITTEN_COLUMNS = (_c.company_id, _c.yclients_record_id, *_STATE, _c.updated_at)


def as_written(sent: Booking, row: Any) -> Booking:
    """The booking as stored after an upsert wrote it: the data sent, the rest from `row`
    (the `WRITTEN_COLUMNS`, in order). Built by position, in `Booking`'s field order (the
    repository contract tests compare it with the row read back)."""
    (_, _, id_, user_id, method, reason, points, percent, basis, step, created, updated) = row
    return Booking(
        sent.company_id, sent.record_id, sent.status, sent.appointment_at, sent.last_change_at,
        sent.price, sent.services, sent.staff_name, sent.client_name, sent.client_phone,
        sent.client_email, sent.comment, sent.deleted, sent.utc_offset_minutes,
        id_, user_id, _METHODS[method] if method else None, reason, points, percent, basis,
        step, created, updated,
    )  # fmt: skip
