"""The one place where YClients' wire format becomes domain `YClientsRecord`s.

Pages, single records and webhook bodies all go through `to_domain`, so the status,
price, client and time rules below hold for every way a record reaches us.

"The doc" is YClients' API documentation as summarised in docs/yclients/CONTRACT.md; the
tags [DOC] and [INFERRED] are that file's (documented vs our reading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import msgspec

from src.adapters.yclients.schema import (
    WebhookEnvelope,
    WireClient,
    WireRecord,
    WireService,
    company_decoder,
    is_null,
    page_decoder,
    raw_page_decoder,
    record_decoder,
    record_id_decoder,
    webhook_decoder,
)
from src.application.errors import MalformedPayload, ValidationFailed
from src.application.ports.yclients import RecordError, WebhookNotice
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

_DELETE = "delete"

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


class InvalidWebhook(ValidationFailed):
    """The webhook body is JSON but lacks a required field or has one of the wrong type."""


class MalformedWebhook(MalformedPayload):
    """The webhook body is not JSON, or not a JSON object."""


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
            field, reason = _split_validation_error(exc)
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
        field, reason = _split_validation_error(exc)
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


def _split_validation_error(exc: msgspec.ValidationError) -> tuple[str | None, str]:
    """(field path without the leading `$.`, reason) from a msgspec validation message."""
    message = str(exc)
    m = _AT.match(message)
    reason = m.group("reason") if m else message
    path = ((m.group("path") if m else None) or "").lstrip(".")
    missing = _MISSING.search(reason)
    if missing:
        path = f"{path}.{missing.group('name')}" if path else missing.group("name")
    return (path or None), reason


def parse_webhook(body: bytes) -> WebhookEnvelope:
    """Decode and validate a webhook body's envelope.

    `company_id`, `resource`, `resource_id` and `status` are required (ids as int or numeric
    string); `data` is optional and kept raw. Raises `MalformedWebhook` when the body is not
    a JSON object and `InvalidWebhook` naming the field that is missing or invalid."""
    try:
        return webhook_decoder.decode(body)
    except msgspec.ValidationError as exc:
        field, reason = _split_validation_error(exc)
        if field is None:  # the body itself is not an object: `[]`, `"x"`, `42`
            raise MalformedWebhook(f"webhook body must be a JSON object: {reason}") from exc
        raise InvalidWebhook(f"webhook body: `{field}`: {reason}") from exc
    except msgspec.DecodeError as exc:
        raise MalformedWebhook(f"webhook body is not valid JSON: {exc}") from exc
    except RecursionError as exc:  # thousands of nested arrays/objects (anywhere, even `data`)
        raise MalformedWebhook("webhook body is nested too deeply") from exc


def webhook_company_id(body: bytes) -> int | None:
    """The `company_id` of a webhook body, or None when the body does not say (for logging
    a delivery that is rejected before anything else is looked at)."""
    try:
        return company_decoder.decode(body).company_id
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None  # the full decode says what is wrong with it


def record_from_webhook(envelope: WebhookEnvelope) -> YClientsRecord | None:
    """The record carried in `data`, or None when `data` is absent, partial or not about
    the envelope's record (the caller then re-fetches it, or just cancels on delete).

    The delete payload is undocumented [INFERRED]: the fixture guesses a full record with
    `deleted: true`. Whatever `data` says, a `delete` event yields a deleted record."""
    if envelope.resource != "record" or is_null(envelope.data):
        return None
    try:
        record = decode_record(envelope.data)
    except (RecordMappingError, msgspec.DecodeError):
        return None
    if record.record_id != envelope.resource_id or record.company_id != envelope.company_id:
        return None
    if envelope.status == _DELETE and not record.deleted:
        return _as_deleted(record)
    return record


def _as_deleted(record: YClientsRecord) -> YClientsRecord:
    return YClientsRecord(
        company_id=record.company_id,
        record_id=record.record_id,
        status=BookingStatus.CANCELLED,
        appointment_at=record.appointment_at,
        last_change_at=record.last_change_at,
        services=record.services,
        staff_name=record.staff_name,
        client=record.client,
        comment=record.comment,
        deleted=True,
        utc_offset_minutes=record.utc_offset_minutes,
    )


class WebhookBodyDecoder:
    """The application's `WebhookDecoder` port, over `parse_webhook`/`record_from_webhook`."""

    def envelope(self, body: bytes) -> WebhookNotice:
        env = parse_webhook(body)
        return WebhookNotice(env.company_id, env.resource, env.resource_id, env.status)

    def record(self, body: bytes) -> YClientsRecord | None:
        try:
            env = parse_webhook(body)
        except (InvalidWebhook, MalformedWebhook):
            return None
        return record_from_webhook(env)


# --- records as salons really send them ------------------------------------------------------
#
# Real YClients and Altegio payloads drift from the documented types: a client's phone as a
# JSON number, numbers and flags as strings, `""` where a list is documented, `[]` (PHP's
# empty array) where an object is. A record the typed decoder refuses is decoded again as
# plain JSON and each field we map is read on its own terms:
#   - a field the service does not need (staff and client names, service titles) is
#     ignored when it has a wrong type;
#   - a field it needs (ids, times, status, costs, deleted, the contacts and the comment used
#     for linking) is coerced when the meaning is unambiguous, otherwise the record is a
#     per-record error naming the field (its page goes on).
# Fields we do not map are never looked at. Only refused records take this path, so a
# well-formed page keeps the fast one.

_json_any = msgspec.json.Decoder(float_hook=Decimal)  # numbers keep their exact text
_EMPTY: tuple[object, ...] = (None, "", [], {})
_TRUE_TEXT = {"1": True, "true": True, "0": False, "false": False}


class _Refused(Exception):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _decode_wire(raw: bytes | msgspec.Raw) -> WireRecord:
    """The typed decoder first; if it refuses, the tolerant reading. Raises
    `msgspec.ValidationError` / `RecordMappingError` naming the field it cannot read."""
    try:
        return record_decoder.decode(raw)
    except msgspec.ValidationError:
        pass
    value = _json_any.decode(raw)
    if not isinstance(value, dict):
        raise RecordMappingError("$", f"a record must be an object, got {_kind(value)}")
    try:
        clean = _tolerant_record(value)
    except _Refused as exc:
        raise RecordMappingError(exc.field, exc.reason) from None
    # Ids, times and costs are still checked by the typed conversion (lax: numeric strings
    # pass); what it refuses now is a per-record error naming the field.
    return msgspec.convert(clean, WireRecord, strict=False)


def _tolerant_record(raw: dict[str, object]) -> dict[str, object]:
    clean: dict[str, object] = {
        "id": _integer(raw.get("id"), "id", required=True),
        "company_id": _integer(raw.get("company_id"), "company_id", required=True),
        "datetime": raw.get("datetime"),
        "services": _services_list(raw.get("services")),
        "staff": _staff(raw.get("staff")),
        "client": _client_object(raw.get("client")),
        "comment": _comment(raw.get("comment")),
        "attendance": _integer(raw.get("attendance"), "attendance"),
        "visit_attendance": _integer(raw.get("visit_attendance"), "visit_attendance"),
        "deleted": _flag(raw.get("deleted"), "deleted"),
        # `""` for a time is "not given" [INFERRED]; then create_date stands in (to_domain).
        "create_date": raw.get("create_date") or None,
        "last_change_date": raw.get("last_change_date") or None,
    }
    return {k: v for k, v in clean.items() if v is not None}


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), "a number" if isinstance(value, int | Decimal) else "null"
    )


def _integer(value: object, field: str, *, required: bool = False) -> int | None:
    """An int from an int, an integral number (`1.0`) or a numeric string; `""`/null is
    absent. A boolean is refused: `true` for an id or an attendance means nothing sure."""
    if value is None or value == "":
        if required:
            raise _Refused(field, "missing")
        return None
    if isinstance(value, bool):
        raise _Refused(field, f"expected a number, got {_kind(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
        return int(value)
    raise _Refused(field, f"expected a whole number, got {_kind(value)}")


def _flag(value: object, field: str) -> bool:
    """`deleted`: booleans, 0/1, "0"/"1"/"true"/"false"; null and `""` (PHP's false cast to
    text) are false. Anything else is refused: guessing a deletion moves points."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE_TEXT:
        return _TRUE_TEXT[value.strip().lower()]
    raise _Refused(field, f"expected a flag (true/false, 0/1), got {_kind(value)}")


def _optional_text(value: object) -> str | None:
    """Display text we only show (names, titles): a number reads as text, anything else
    (a list, an object, a boolean) is ignored."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | Decimal) and not isinstance(value, bool):
        return str(value)
    return None


def _contact_text(value: object, field: str, *, numbers: bool = True) -> str | None:
    """Text used for linking (phone, email, comment): a number is its digits (a phone sent
    as a JSON number, 79161234567) where `numbers`; empty is absent; a list, an object or a
    boolean is refused, since a member could be linked or missed on a guess."""
    if value in _EMPTY:
        return None
    if isinstance(value, str):
        return value
    if not numbers:
        raise _Refused(field, f"expected text, got {_kind(value)}")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal) and value == value.to_integral_value() and value.is_finite():
        return str(int(value))  # `79161234567.0`: the same digits
    raise _Refused(field, f"expected text, got {_kind(value)}")


def _comment(value: object) -> str | None:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return str(value)  # a note that is just a number: no client code in it, but kept
    return _contact_text(value, "comment")


def _services_list(value: object) -> list[dict[str, object]]:
    """`""`, null, `[]`, `{}`: no services. An object whose values are service objects is
    read as their list: PHP encodes an array with gaps in its keys that way [INFERRED]."""
    if value in _EMPTY:
        return []
    if isinstance(value, dict) and all(isinstance(v, dict) for v in value.values()):
        value = list(value.values())
    if not isinstance(value, list):
        raise _Refused("services", f"expected a list of services, got {_kind(value)}")
    lines = []
    for i, line in enumerate(value):
        if not isinstance(line, dict):
            raise _Refused(f"services[{i}]", f"expected a service object, got {_kind(line)}")
        cost = line.get("cost")
        # The cost earns points: a number or a numeric string, nothing guessed [DOC: number].
        if cost is None or cost == "" or isinstance(cost, bool | list | dict):
            raise _Refused(f"services[{i}].cost", f"expected a number, got {_kind(cost)}")
        lines.append({"cost": cost, "title": _optional_text(line.get("title"))})
    return lines


def _staff(value: object) -> dict[str, object] | None:
    # Only the master's name is kept, for display: any other shape is no staff.
    if isinstance(value, dict):
        return {"name": _optional_text(value.get("name"))}
    return None


def _client_object(value: object) -> dict[str, object] | None:
    """`[]`, `""`, null: no client (PHP's empty array where the doc has an object). A
    non-empty list is refused: which of its entries is the client is a guess."""
    if value in _EMPTY:
        return None
    if not isinstance(value, dict):
        raise _Refused("client", f"expected an object, got {_kind(value)}")
    return {
        "name": _optional_text(value.get("name")),
        "surname": _optional_text(value.get("surname")),
        "display_name": _optional_text(value.get("display_name")),
        "phone": _contact_text(value.get("phone"), "client.phone"),
        "email": _contact_text(value.get("email"), "client.email", numbers=False),
    }
