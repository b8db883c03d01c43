"""The one place where YClients' wire format becomes domain `YClientsRecord`s.

Pages, single records and webhook bodies all go through `to_domain`, so the status,
price, client and time rules below hold for every way a record reaches us. Records whose
types drift from the doc are read by `drift.py`; webhook envelopes by `webhooks.py`.

"The doc" is YClients' API documentation as summarised in docs/yclients/CONTRACT.md; the
tags [DOC] and [INFERRED] are that file's (documented vs our reading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec

from src.adapters.yclients.drift import Refused, json_any, kind, tolerant_record
from src.adapters.yclients.schema import (
    WireClient,
    WireRecord,
    WireService,
    page_decoder,
    raw_page_decoder,
    record_decoder,
    record_id_decoder,
)
from src.application.ports.yclients import RecordError
from src.domain.booking import BookingStatus
from src.domain.record import ClientInfo, ServiceLine, YClientsRecord

# `attendance` (docs/yclients/CONTRACT.md, record fields) [DOC]: 2 = client confirmed,
# 1 = client came / services provided, 0 = waiting, -1 = did not come. That "came" (1)
# means completed, and that nothing else does, is our reading of the doc, not something
# YClients states as a booking lifecycle [INFERRED]. Values outside the enum (or null) are
# read as PENDING: an unknown state must never complete a booking and award points.
_STATUS_BY_ATTENDANCE = {
    1: BookingStatus.COMPLETED,
    2: BookingStatus.CONFIRMED,
    0: BookingStatus.PENDING,
    -1: BookingStatus.NO_SHOW,
}

# What our store keeps of a record's text (the `bookings` columns: staff and client name 255,
# phone 64, email 320 characters). Longer values are cut here, at the boundary, so a
# stranger's 10 KB "name" typed into the YClients widget can never fail a page's write; a
# test pins these against the table. Service titles live in a JSON column: capped alike.
TEXT_LIMITS = {"staff_name": 255, "client_name": 255, "client_phone": 64, "client_email": 320}
TITLE_LIMIT = 255
# The comment is only searched for the client code and shown to staff; 64 KB is far beyond
# any real note and keeps a hostile one from bloating every row written.
COMMENT_LIMIT = 65_536
# Prices are NUMERIC(12, 2): below 10^10. A cost outside that (or `1e999999999`, whose sum
# overflows the decimal context) is refused as this record's error, not the page's.
MAX_COST = 10**10


class RecordMappingError(ValueError):
    """A record that decoded but cannot become a domain record."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{reason} (field `{field}`)")
        self.field = field
        self.reason = reason


def to_domain(wire: WireRecord) -> YClientsRecord:
    """Map one decoded record; raises `RecordMappingError` if it lacks a change time."""
    # `last_change_date` orders versions (a webhook racing a sync). A record never changed
    # may lack it [INFERRED], and then its creation is its last change.
    changed = wire.last_change_date or wire.create_date
    if changed is None:
        raise RecordMappingError("last_change_date", "neither last_change_date nor create_date")
    # A deleted record's attendance is whatever it was before deletion; the domain turns
    # `deleted` into CANCELLED too (Booking.apply), we say it here as well so the record is
    # self-describing.
    if wire.deleted:
        status = BookingStatus.CANCELLED
    else:
        # No `attendance` (absent or null): the visit's own status, `visit_attendance`, same
        # enum [INFERRED: seen in real payloads, not in the doc's field table].
        attendance = wire.attendance if wire.attendance is not None else wire.visit_attendance
        status = _STATUS_BY_ATTENDANCE.get(attendance, BookingStatus.PENDING)  # type: ignore[arg-type]
    staff = wire.staff
    at = wire.datetime
    last_change_at = _utc(changed, "last_change_date" if wire.last_change_date else "create_date")
    appointment_at = _utc(at, "datetime")
    services = _services(wire.services) if wire.services else ()
    _check_costs(services)
    return YClientsRecord(
        company_id=wire.company_id,
        record_id=wire.id,
        status=status,
        appointment_at=appointment_at,
        last_change_at=last_change_at,
        services=services,
        staff_name=_text(staff.name, TEXT_LIMITS["staff_name"]) if staff is not None else None,
        client=_client(wire.client) if wire.client is not None else None,
        comment=_text(wire.comment, COMMENT_LIMIT) or "",
        deleted=wire.deleted,
        # The salon's wall clock: the offset the record's `datetime` was written with
        # (`+03:00` and `+0300` both decode to the same aware datetime).
        utc_offset_minutes=_offset_minutes(at),
    )


# A moment we keep is at least two days inside Python's datetime range once in UTC, so it can
# be shown on any clock and a day added to it (windows, the salon's day) without overflowing.
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=2)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)


def _utc(moment: datetime, field: str) -> datetime:
    """`moment` in UTC; a date that overflows on the way (`9999-12-31T23:59:59-05:00`, year 1
    with a positive offset) or sits at the edge of the range is this record's error."""
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError):
        utc = None
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        raise RecordMappingError(field, "date out of range (it overflows in UTC)")
    return utc


def _text(value: str | None, limit: int) -> str | None:
    """Text as we store it: NUL removed (PostgreSQL text cannot hold it), at most `limit`
    characters; empty is None."""
    if not value:
        return None
    if "\x00" in value:
        value = value.replace("\x00", "")
    return value[:limit] or None


def _check_costs(services: tuple[ServiceLine, ...]) -> None:
    total = Decimal(0)
    for line in services:
        cost = line.cost
        if not cost.is_finite() or cost.copy_abs() >= MAX_COST:
            raise RecordMappingError(
                "services.cost", f"cost out of range (must be below {MAX_COST:.0e})"
            )
        total += cost
    if abs(total) >= MAX_COST:
        raise RecordMappingError(
            "services", f"total cost out of range (must be below {MAX_COST:.0e})"
        )


def _offset_minutes(moment: datetime) -> int | None:
    offset = moment.utcoffset()
    return None if offset is None else int(offset.total_seconds()) // 60


# Salons sell the same few services to the same regulars: the immutable domain values are
# shared between records instead of built again (a sync maps ~100k records a second). The
# wire Structs are frozen, hence hashable keys; the caches are bounded. A client entry holds
# its whole wire Struct (~0.5 KB): 8k of them keep a 100k-record sync within 1.3× the memory
# of a 10k one (50k entries: +25 MB) for ~5% more decoding time (bench: fetch_rss_mb_*).
_CACHE_LIMIT = 8_192
_service_cache: dict[tuple[WireService, ...], tuple[ServiceLine, ...]] = {}
_client_cache: dict[WireClient, ClientInfo | None] = {}


def _services(wires: list[WireService]) -> tuple[ServiceLine, ...]:
    key = tuple(wires)
    lines = _service_cache.get(key)
    if lines is None:
        # `cost` is the line's final price (after discount, for its whole `amount`), per the
        # doc's field table; the record's price is their sum (computed by the domain).
        lines = tuple(ServiceLine(_text(s.title, TITLE_LIMIT) or "", s.cost) for s in wires)
        if len(_service_cache) >= _CACHE_LIMIT:
            _service_cache.clear()
        _service_cache[key] = lines
    return lines


def _client(c: WireClient) -> ClientInfo | None:
    try:
        return _client_cache[c]
    except KeyError:
        pass
    name = (c.display_name or "").strip() or " ".join(p for p in (c.name, c.surname) if p) or None
    name = _text(name, TEXT_LIMITS["client_name"])
    # Empty strings are how YClients says "not given" (email `""` is in the doc examples).
    phone = _text(c.phone, TEXT_LIMITS["client_phone"])
    # Trimmed: a member's verified email finds it by lower(client_email), an index.
    email = _text(c.email.strip() if c.email else c.email, TEXT_LIMITS["client_email"])
    # `client: {}`: the doc says a record may carry an empty client object.
    info = (
        None if name is None and phone is None and email is None else ClientInfo(name, phone, email)
    )
    if len(_client_cache) >= _CACHE_LIMIT:
        _client_cache.clear()
    _client_cache[c] = info
    return info


@dataclass(slots=True)
class DecodedPage:
    success: bool
    records: list[YClientsRecord]
    errors: list[RecordError]
    total_count: int
    rows: int  # records in `data`, decodable or not


def decode_page(body: bytes) -> DecodedPage:
    """Decode a `GET /records` body. A malformed record becomes a `RecordError` and the
    rest of the page is kept; a malformed envelope raises `msgspec.DecodeError`.

    The caller must check `success` (an error envelope decodes as an empty page)."""
    try:
        envelope = page_decoder.decode(body)
    except msgspec.ValidationError:
        return _decode_page_record_by_record(body)
    wires = envelope.data or []
    records: list[YClientsRecord] = []
    errors: list[RecordError] = []
    for wire in wires:
        try:
            records.append(to_domain(wire))
        except RecordMappingError as exc:
            errors.append(RecordError(str(wire.id), exc.field, exc.reason))
    total = envelope.meta.total_count if envelope.meta else len(wires)
    return DecodedPage(envelope.success, records, errors, total, len(wires))


def _decode_page_record_by_record(body: bytes) -> DecodedPage:
    # Raises if the envelope itself is broken: then there is no page to save.
    envelope = raw_page_decoder.decode(body)
    raws = envelope.data or []
    records: list[YClientsRecord] = []
    errors: list[RecordError] = []
    for raw in raws:
        try:
            records.append(to_domain(_decode_wire(raw)))
        except msgspec.ValidationError as exc:
            field, reason = split_validation_error(exc)
            errors.append(RecordError(_record_id(raw), field, reason))
        except RecordMappingError as exc:
            errors.append(RecordError(_record_id(raw), exc.field, exc.reason))
    total = envelope.meta.total_count if envelope.meta else len(raws)
    return DecodedPage(envelope.success, records, errors, total, len(raws))


def decode_record(raw: bytes | msgspec.Raw) -> YClientsRecord:
    """One record object (the `data` of `GET /record/...` or of a webhook).

    Raises `RecordMappingError` naming the field that is missing or invalid."""
    try:
        wire = _decode_wire(raw)
    except msgspec.ValidationError as exc:
        field, reason = split_validation_error(exc)
        raise RecordMappingError(field or "$", reason) from exc
    return to_domain(wire)


def _record_id(raw: bytes | msgspec.Raw) -> str | None:
    try:
        rid = record_id_decoder.decode(raw).id
    except msgspec.DecodeError:
        return None
    return None if rid is None else str(rid)


# msgspec: "Expected `int`, got `str` - at `$.services[0].cost`" or
# "Object missing required field `datetime`" (optionally "- at `$.client`").
_AT = re.compile(r"^(?P<reason>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"missing required field `(?P<name>[^`]+)`")


def split_validation_error(exc: msgspec.ValidationError) -> tuple[str | None, str]:
    """(field path without the leading `$.`, reason) from a msgspec validation message."""
    message = str(exc)
    m = _AT.match(message)
    reason = m.group("reason") if m else message
    path = ((m.group("path") if m else None) or "").lstrip(".")
    missing = _MISSING.search(reason)
    if missing:
        path = f"{path}.{missing.group('name')}" if path else missing.group("name")
    return (path or None), reason


def _decode_wire(raw: bytes | msgspec.Raw) -> WireRecord:
    """The typed decoder first; if it refuses, the tolerant reading. Raises
    `msgspec.ValidationError` / `RecordMappingError` naming the field it cannot read."""
    try:
        return record_decoder.decode(raw)
    except msgspec.ValidationError:
        pass
    value = json_any.decode(raw)
    if not isinstance(value, dict):
        raise RecordMappingError("$", f"a record must be an object, got {kind(value)}")
    try:
        clean = tolerant_record(value)
    except Refused as exc:
        raise RecordMappingError(exc.field, exc.reason) from None
    # Ids, times and costs are still checked by the typed conversion (lax: numeric strings
    # pass); what it refuses now is a per-record error naming the field.
    return msgspec.convert(clean, WireRecord, strict=False)
