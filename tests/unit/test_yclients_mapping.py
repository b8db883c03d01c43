"""The YClients wire format → domain records: every shared fixture, and the tolerance cases
the contract documents (docs/yclients/CONTRACT.md)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from src.adapters.yclients.mapping import RecordMappingError, decode_page, decode_record
from src.adapters.yclients.webhooks import (
    InvalidWebhook,
    MalformedWebhook,
    WebhookBodyDecoder,
    parse_webhook,
    record_from_webhook,
)
from src.application.errors import MalformedPayload, ValidationFailed
from src.domain.booking import Booking, BookingStatus
from src.domain.client_codes import extract_code
from src.domain.contacts import normalize_email, phone_key
from tests.paths import YCLIENTS_FIXTURES

FIXTURES = YCLIENTS_FIXTURES


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def fixture(name: str) -> dict[str, Any]:
    return json.loads(fixture_bytes(name))


def page_of(*records: dict[str, Any], total: int | None = None) -> bytes:
    meta = {"page": 1, "total_count": len(records) if total is None else total}
    return json.dumps({"success": True, "data": list(records), "meta": meta}).encode()


@pytest.fixture
def raw_record() -> dict[str, Any]:
    """List record #1 (attended, code in the comment), to vary one field at a time."""
    return copy.deepcopy(fixture("records_list_page1_with_deleted.json")["data"][0])


# --- the fixtures -----------------------------------------------------------------------------


def test_fixture_directory_is_found() -> None:
    assert sorted(p.name for p in FIXTURES.glob("*.json")) == [
        "error_401_unauthorized.json",
        "error_429_rate_limited.json",
        "record_single_get.json",
        "records_list_page1_with_deleted.json",
        "webhook_record_create.json",
        "webhook_record_delete.json",
        "webhook_record_update_attendance_came.json",
    ]


def test_records_list_page_maps_every_record() -> None:
    page = decode_page(fixture_bytes("records_list_page1_with_deleted.json"))

    assert page.success is True
    assert page.errors == []
    assert (page.total_count, page.rows) == (3, 3)
    came, confirmed, deleted = page.records

    assert came.company_id == 873456
    assert came.record_id == 601234501
    assert came.status is BookingStatus.COMPLETED  # attendance 1
    assert came.price == Decimal("2500.00")
    assert came.services[0].title == "Маникюр с покрытием гель-лак"
    assert came.staff_name == "Анна Смирнова"
    assert came.client is not None
    assert came.client.name == "Мария Иванова"
    assert came.client.phone == "+79161234567"
    assert phone_key(came.client.phone) == "9161234567"
    assert came.client.email == "maria.ivanova@example.com"
    assert extract_code(came.comment) == "ABC12345"
    # 11:00 Moscow (+03:00) is 08:00 UTC; last_change_date comes as +0300.
    assert came.appointment_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert came.appointment_at.utcoffset() is not None
    assert came.last_change_at == datetime(2026, 11, 20, 9, 41, 10, tzinfo=UTC)
    assert came.deleted is False

    assert confirmed.status is BookingStatus.CONFIRMED  # attendance 2
    # Two services after a discount: the price is the sum of final `cost`s, exact.
    assert [s.cost for s in confirmed.services] == [Decimal("1800.0"), Decimal("1200.0")]
    assert confirmed.price == Decimal("3000.00")
    assert confirmed.client is not None
    assert confirmed.client.phone == "79031234567"
    assert phone_key(confirmed.client.phone) == "9031234567"
    assert confirmed.client.email is None  # "" in the payload
    assert extract_code(confirmed.comment) is None
    assert confirmed.appointment_at == datetime(2026, 11, 20, 12, 30, tzinfo=UTC)

    assert deleted.deleted is True
    assert deleted.status is BookingStatus.CANCELLED
    assert extract_code(deleted.comment) == "QWE98765"
    assert deleted.last_change_at == datetime(2026, 11, 19, 5, 15, 55, tzinfo=UTC)


def test_single_record_envelope_maps_like_the_list() -> None:
    body = fixture("record_single_get.json")
    assert body["meta"] == []  # the single-object meta is an empty array
    record = decode_record(json.dumps(body["data"]).encode())
    listed = decode_page(fixture_bytes("records_list_page1_with_deleted.json")).records[0]

    assert record == listed
    assert record.status is BookingStatus.COMPLETED
    assert record.price == Decimal("2500.00")


@pytest.mark.parametrize(
    ("name", "status", "event", "last_change"),
    [
        ("webhook_record_create.json", BookingStatus.PENDING, "create",
         datetime(2026, 11, 14, 15, 22, 5, tzinfo=UTC)),
        ("webhook_record_update_attendance_came.json", BookingStatus.COMPLETED, "update",
         datetime(2026, 11, 20, 9, 41, 10, tzinfo=UTC)),
        ("webhook_record_delete.json", BookingStatus.CANCELLED, "delete",
         datetime(2026, 11, 19, 5, 15, 55, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_webhook_fixtures(
    name: str, status: BookingStatus, event: str, last_change: datetime
) -> None:
    envelope = parse_webhook(fixture_bytes(name))
    assert (envelope.company_id, envelope.resource, envelope.status) == (873456, "record", event)

    record = record_from_webhook(envelope)

    assert record is not None
    assert record.record_id == envelope.resource_id
    assert record.status is status
    assert record.last_change_at == last_change
    assert record.price == Decimal("2500.00")
    assert record.deleted is (event == "delete")
    assert record.client is not None
    assert phone_key(record.client.phone) is not None
    assert normalize_email(record.client.email) is not None
    assert extract_code(record.comment) in {"ABC12345", "QWE98765"}


def test_webhook_decoder_port() -> None:
    decoder = WebhookBodyDecoder()
    body = fixture_bytes("webhook_record_update_attendance_came.json")

    notice = decoder.envelope(body)
    record = decoder.record(body)

    assert (notice.company_id, notice.resource, notice.resource_id, notice.status) == (
        873456, "record", 601234501, "update",
    )  # fmt: skip
    assert record is not None and record.status is BookingStatus.COMPLETED


def test_error_fixtures_are_error_envelopes() -> None:
    for name in ("error_401_unauthorized.json", "error_429_rate_limited.json"):
        page = decode_page(fixture_bytes(name))
        assert page.success is False
        assert page.records == []


# --- tolerance --------------------------------------------------------------------------------


def test_ids_as_strings(raw_record: dict[str, Any]) -> None:
    raw_record["id"], raw_record["company_id"] = "601234501", "873456"
    record = decode_record(json.dumps(raw_record).encode())
    assert (record.company_id, record.record_id) == (873456, 601234501)


def test_both_offset_forms(raw_record: dict[str, Any]) -> None:
    raw_record["datetime"] = "2026-11-20T11:00:00+0300"
    raw_record["last_change_date"] = "2026-11-20T12:41:10+03:00"
    record = decode_record(json.dumps(raw_record).encode())
    assert record.appointment_at == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert record.last_change_at == datetime(2026, 11, 20, 9, 41, 10, tzinfo=UTC)


def test_other_company_offset_is_converted(raw_record: dict[str, Any]) -> None:
    raw_record["datetime"] = "2019-01-16T16:00:00+09:00"  # the doc's own example
    record = decode_record(json.dumps(raw_record).encode())
    assert record.appointment_at == datetime(2019, 1, 16, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("sent", "minutes", "local"),
    [
        ("2030-01-15T12:00:00+03:00", 180, "2030-01-15T12:00:00+03:00"),
        ("2030-01-15T12:00:00+0500", 300, "2030-01-15T12:00:00+05:00"),
        ("2030-01-15T12:00:00-0330", -210, "2030-01-15T12:00:00-03:30"),
        ("2030-01-15T12:00:00Z", 0, "2030-01-15T12:00:00+00:00"),
    ],
)
def test_the_salon_offset_is_kept_beside_the_instant(
    raw_record: dict[str, Any], sent: str, minutes: int, local: str
) -> None:
    raw_record["datetime"] = sent
    record = decode_record(json.dumps(raw_record).encode())
    assert record.appointment_at.tzinfo is UTC
    assert record.utc_offset_minutes == minutes
    booking = Booking.from_record(record)
    assert booking.local_appointment_at.isoformat() == local
    assert booking.local_appointment_at == record.appointment_at  # the same instant


def test_a_page_mixing_both_offset_forms_keeps_each_records_offset() -> None:
    page = fixture("records_list_page1_with_deleted.json")
    first, second = copy.deepcopy(page["data"][0]), copy.deepcopy(page["data"][0])
    first["datetime"], second["datetime"] = "2030-01-15T12:00:00+03:00", "2030-01-15T12:00:00+0500"
    second["id"] = first["id"] + 1
    page["data"] = [first, second]
    decoded = decode_page(json.dumps(page).encode())
    assert [r.utc_offset_minutes for r in decoded.records] == [180, 300]


def test_a_deletion_keeps_the_offset() -> None:
    body = fixture("webhook_record_create.json")
    body["status"] = "delete"
    body["data"]["datetime"] = "2030-01-15T12:00:00+0500"
    record = record_from_webhook(parse_webhook(json.dumps(body).encode()))
    assert record is not None and record.deleted and record.utc_offset_minutes == 300


@pytest.mark.parametrize("client", [None, {}])
def test_client_null_or_empty(raw_record: dict[str, Any], client: Any) -> None:
    raw_record["client"] = client
    record = decode_record(json.dumps(raw_record).encode())
    assert record.client is None
    assert record.status is BookingStatus.COMPLETED


@pytest.mark.parametrize("email", [None, "", "   ", "missing"])
def test_email_null_empty_or_missing(raw_record: dict[str, Any], email: Any) -> None:
    if email == "missing":
        del raw_record["client"]["email"]
    else:
        raw_record["client"]["email"] = email
    record = decode_record(json.dumps(raw_record).encode())
    assert record.client is not None
    assert record.client.email is None
    assert record.client.phone == "+79161234567"


@pytest.mark.parametrize("custom_fields", [{}, [], {"loyalty": "gold"}, [{"id": 1}]])
def test_custom_fields_any_shape(raw_record: dict[str, Any], custom_fields: Any) -> None:
    raw_record["custom_fields"] = custom_fields
    raw_record["client"]["custom_fields"] = custom_fields
    assert decode_record(json.dumps(raw_record).encode()).record_id == 601234501


def test_empty_services_cost_nothing(raw_record: dict[str, Any]) -> None:
    raw_record["services"] = []
    record = decode_record(json.dumps(raw_record).encode())
    assert record.services == ()
    assert record.price == Decimal("0.00")


def test_unknown_fields_are_ignored(raw_record: dict[str, Any]) -> None:
    raw_record["brand_new_field"] = {"nested": [1, 2, 3]}
    raw_record["visit_id"] = 512340001  # string in the doc, int in S2
    raw_record["record_labels"] = [{"id": "7", "title": "VIP"}]
    assert decode_record(json.dumps(raw_record).encode()).record_id == 601234501


def test_cost_is_exact_decimal_never_float(raw_record: dict[str, Any]) -> None:
    # 0.1 + 0.2 in binary floats is 0.30000000000000004; costs must add up exactly.
    raw_record["services"] = [
        {"title": "a", "cost": 0.1}, {"title": "b", "cost": 0.2}, {"title": "c", "cost": "1799.99"},
    ]  # fmt: skip
    record = decode_record(json.dumps(raw_record).encode())
    assert [s.cost for s in record.services] == [
        Decimal("0.1"), Decimal("0.2"), Decimal("1799.99"),
    ]  # fmt: skip
    assert record.price == Decimal("1800.29")


def test_costs_with_many_digits_keep_their_text() -> None:
    body = (
        b'{"id":1,"company_id":2,"datetime":"2026-01-01T10:00:00+03:00",'
        b'"last_change_date":"2026-01-01T10:00:00+0300",'
        b'"services":[{"title":"x","cost":1234.565},{"title":"y","cost":2500.0}]}'
    )
    record = decode_record(body)
    assert [s.cost for s in record.services] == [Decimal("1234.565"), Decimal("2500.0")]
    assert record.price == Decimal("3734.57")  # ROUND_HALF_UP at the end, not on the way


@pytest.mark.parametrize(
    ("attendance", "status"),
    [(1, BookingStatus.COMPLETED), (2, BookingStatus.CONFIRMED), (0, BookingStatus.PENDING),
     (-1, BookingStatus.NO_SHOW), (3, BookingStatus.PENDING), (None, BookingStatus.PENDING)],
)  # fmt: skip
def test_status_from_attendance(
    raw_record: dict[str, Any], attendance: int | None, status: BookingStatus
) -> None:
    raw_record["attendance"] = attendance
    raw_record["visit_attendance"] = None  # else a null attendance takes its status from it
    assert decode_record(json.dumps(raw_record).encode()).status is status


def test_deleted_wins_over_attendance(raw_record: dict[str, Any]) -> None:
    raw_record["deleted"] = True  # attendance stays 1
    record = decode_record(json.dumps(raw_record).encode())
    assert (record.status, record.deleted) == (BookingStatus.CANCELLED, True)


def test_missing_last_change_falls_back_to_create_date(raw_record: dict[str, Any]) -> None:
    del raw_record["last_change_date"]
    record = decode_record(json.dumps(raw_record).encode())
    assert record.last_change_at == datetime(2026, 11, 14, 15, 22, 5, tzinfo=UTC)


def test_no_change_time_at_all_is_an_error(raw_record: dict[str, Any]) -> None:
    del raw_record["last_change_date"], raw_record["create_date"]
    with pytest.raises(RecordMappingError) as caught:
        decode_record(json.dumps(raw_record).encode())
    assert caught.value.field == "last_change_date"


def test_naive_datetime_is_an_error(raw_record: dict[str, Any]) -> None:
    raw_record["datetime"] = "2026-11-20T11:00:00"
    with pytest.raises(RecordMappingError) as caught:
        decode_record(json.dumps(raw_record).encode())
    assert caught.value.field == "datetime"
    assert "timezone" in caught.value.reason


@pytest.mark.parametrize("field", ["datetime", "last_change_date", "create_date"])
@pytest.mark.parametrize(
    "moment",
    ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+03:00", "9999-12-31T23:00:00+00:00"],
)
def test_a_date_that_overflows_in_utc_is_the_records_mapping_error(
    raw_record: dict[str, Any], field: str, moment: str
) -> None:
    """Issue 20, item 9: `astimezone(UTC)` raised OverflowError, which failed a whole page
    (and left a webhook event PENDING for ever, holding its company's batch)."""
    raw_record[field] = moment
    if field == "create_date":
        del raw_record["last_change_date"]
    with pytest.raises(RecordMappingError) as caught:
        decode_record(json.dumps(raw_record).encode())
    assert caught.value.field == field
    assert "date out of range" in caught.value.reason
    others = [dict(copy.deepcopy(raw_record), id=601234510), raw_record]
    others[0][field] = "2026-11-20T11:00:00+03:00"
    page = decode_page(page_of(*others))
    assert [r.record_id for r in page.records] == [601234510]
    assert [(e.record_id, e.field) for e in page.errors] == [("601234501", field)]


def test_client_name_without_display_name(raw_record: dict[str, Any]) -> None:
    raw_record["client"] = {"name": "Мария", "surname": "Иванова", "phone": "8 916 123-45-67"}
    record = decode_record(json.dumps(raw_record).encode())
    assert record.client is not None
    assert record.client.name == "Мария Иванова"
    assert phone_key(record.client.phone) == "9161234567"


# --- one bad record does not sink its page ----------------------------------------------------


def test_malformed_record_is_reported_and_the_rest_decoded(raw_record: dict[str, Any]) -> None:
    good = raw_record
    bad_cost = dict(copy.deepcopy(raw_record), id=601234502)
    bad_cost["services"][0]["cost"] = "two thousand"
    bad_type = dict(copy.deepcopy(raw_record), id="601234503")
    bad_type["client"]["email"] = 42
    no_time = {"id": 601234504, "company_id": 873456}
    also_good = dict(copy.deepcopy(raw_record), id=601234505)

    page = decode_page(page_of(good, bad_cost, bad_type, no_time, also_good, total=40))

    assert [r.record_id for r in page.records] == [601234501, 601234505]
    assert (page.total_count, page.rows) == (40, 5)
    errors = {e.record_id: e for e in page.errors}
    assert set(errors) == {"601234502", "601234503", "601234504"}
    assert errors["601234502"].field == "services[0].cost"
    assert errors["601234503"].field == "client.email"
    assert "expected text, got a number" in errors["601234503"].reason
    assert errors["601234504"].field == "datetime"
    assert "missing required field" in errors["601234504"].reason


def test_record_without_usable_id_is_still_reported() -> None:
    page = decode_page(page_of({"id": {"weird": True}, "company_id": 1}))
    assert page.records == []
    assert len(page.errors) == 1
    assert page.errors[0].record_id is None
    assert page.errors[0].field == "id"


def test_broken_envelope_raises() -> None:
    import msgspec

    with pytest.raises(msgspec.DecodeError):
        decode_page(b'{"success":true,"data":[{"id":1,')
    with pytest.raises(msgspec.DecodeError):
        decode_page(b'{"data":[]}')  # no `success`


# --- webhook envelopes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"resource":"record","resource_id":1,"status":"update"}', "company_id"),
        (b'{"company_id":1,"resource_id":1,"status":"update"}', "resource"),
        (b'{"company_id":1,"resource":"record","status":"update"}', "resource_id"),
        (b'{"company_id":1,"resource":"record","resource_id":1}', "status"),
        (b'{"company_id":"abc","resource":"record","resource_id":1,"status":"update"}',
         "company_id"),
        (b'{"company_id":1,"resource":"","resource_id":1,"status":"update"}', "resource"),
    ],
)  # fmt: skip
def test_invalid_webhook_names_the_field(body: bytes, field: str) -> None:
    with pytest.raises(InvalidWebhook) as caught:
        parse_webhook(body)
    assert f"`{field}`" in str(caught.value)
    assert isinstance(caught.value, ValidationFailed)


@pytest.mark.parametrize("body", [b"", b"not json", b'{"company_id":1,', b"[]", b'"record"'])
def test_malformed_webhook(body: bytes) -> None:
    with pytest.raises(MalformedWebhook) as caught:
        parse_webhook(body)
    assert isinstance(caught.value, MalformedPayload)


def test_webhook_ids_as_strings_and_no_data() -> None:
    envelope = parse_webhook(
        b'{"company_id":"873456","resource":"record","resource_id":"601234501","status":"update"}'
    )
    assert (envelope.company_id, envelope.resource_id) == (873456, 601234501)
    assert record_from_webhook(envelope) is None


def test_partial_delete_payload_gives_no_record() -> None:
    body = b'{"company_id":873456,"resource":"record","resource_id":5,"status":"delete",' \
           b'"data":{"id":5,"company_id":873456}}'  # fmt: skip
    envelope = parse_webhook(body)
    assert envelope.status == "delete"
    assert record_from_webhook(envelope) is None


def test_delete_with_full_but_not_deleted_data_is_deleted() -> None:
    body = fixture("webhook_record_delete.json")
    body["data"]["deleted"] = False
    record = record_from_webhook(parse_webhook(json.dumps(body).encode()))
    assert record is not None
    assert (record.deleted, record.status) == (True, BookingStatus.CANCELLED)


def test_data_about_another_record_is_not_trusted() -> None:
    body = fixture("webhook_record_create.json")
    body["resource_id"] = 1
    assert record_from_webhook(parse_webhook(json.dumps(body).encode())) is None


def test_other_resources_carry_no_record() -> None:
    body = b'{"company_id":1,"resource":"client","resource_id":7,"status":"update",' \
           b'"data":{"id":7,"name":"x"}}'  # fmt: skip
    envelope = parse_webhook(body)
    assert envelope.resource == "client"
    assert record_from_webhook(envelope) is None


def test_email_is_stored_trimmed(raw_record: dict[str, Any]) -> None:
    """A verified member's email finds the booking by lower(client_email), an index."""
    raw_record["client"]["email"] = "  Maria@Example.com\t"
    record = decode_record(json.dumps(raw_record).encode())
    assert record.client is not None and record.client.email == "Maria@Example.com"
