"""Records as salons really send them: the type drift of real YClients/Altegio payloads.

A wrong-typed field the service does not need is ignored; one it needs is coerced when the
meaning is unambiguous, otherwise the record (only it) is an error naming the field."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from src.adapters.yclients.mapping import RecordMappingError, decode_page, decode_record
from src.domain.booking import BookingStatus
from src.domain.client_codes import extract_code
from src.domain.contacts import phone_key
from src.domain.record import YClientsRecord
from tests.paths import YCLIENTS_FIXTURES

DRIFT = YCLIENTS_FIXTURES / "drift"
DROP = object()  # the field is absent


def base_record() -> dict[str, Any]:
    page = json.loads((YCLIENTS_FIXTURES / "records_list_page1_with_deleted.json").read_bytes())
    return copy.deepcopy(page["data"][0])  # attended, code in the comment, one 2500 service


def with_field(record: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    *parents, name = path.split(".")
    node: Any = record
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is DROP:
        node.pop(name, None)
    else:
        node[name] = value
    return record


Check = Callable[[YClientsRecord], object]

# (field path, value sent, what the record must say)
READ: list[tuple[str, object, Check]] = [
    # the client's contacts, used for linking
    ("client.phone", 79161234567, lambda r: phone_key(r.client.phone) == "9161234567"),
    ("client.phone", 79161234567.0, lambda r: r.client.phone == "79161234567"),
    ("client.phone", "", lambda r: r.client.phone is None),
    ("client.email", [], lambda r: r.client.email is None),
    ("client.email", None, lambda r: r.client.email is None),
    # display only: wrong types are ignored, numbers read as text
    ("client.display_name", ["Мария"], lambda r: r.client.name == "Мария Иванова"),
    ("client.custom_fields", "", lambda r: r.client.phone == "+79161234567"),
    ("staff", [], lambda r: r.staff_name is None),
    ("staff", "", lambda r: r.staff_name is None),
    ("staff.name", 7, lambda r: r.staff_name == "7"),
    ("services.0.title", 2024, lambda r: r.services[0].title == "2024"),
    ("services.0.title", {"ru": "x"}, lambda r: r.services[0].title == ""),
    # lists where a list is documented, sent as "" / {} / an object keyed by index
    ("services", "", lambda r: r.services == () and r.price == 0),
    ("services", {}, lambda r: r.price == 0),
    (
        "services",
        {"0": {"cost": 1800}, "2": {"cost": "700.50"}},
        lambda r: r.price == Decimal("2500.50"),
    ),
    ("services.0.cost", "2500.50", lambda r: r.price == Decimal("2500.50")),
    ("client", [], lambda r: r.client is None),
    ("client", "", lambda r: r.client is None),
    # ids, flags and the status
    ("id", "601234501", lambda r: r.record_id == 601234501),
    ("company_id", "873456", lambda r: r.company_id == 873456),
    ("attendance", "1", lambda r: r.status is BookingStatus.COMPLETED),
    ("attendance", 2.0, lambda r: r.status is BookingStatus.CONFIRMED),
    ("attendance", "", lambda r: r.status is BookingStatus.COMPLETED),  # visit_attendance 1
    ("attendance", DROP, lambda r: r.status is BookingStatus.COMPLETED),  # visit_attendance 1
    ("deleted", 1, lambda r: r.deleted and r.status is BookingStatus.CANCELLED),
    ("deleted", "1", lambda r: r.deleted),
    ("deleted", "true", lambda r: r.deleted),
    ("deleted", 0, lambda r: not r.deleted),
    ("deleted", "0", lambda r: not r.deleted),
    ("deleted", "", lambda r: not r.deleted),
    ("deleted", None, lambda r: not r.deleted),
    ("comment", 12345, lambda r: r.comment == "12345"),
    ("comment", None, lambda r: r.comment == "" and extract_code(r.comment) is None),
    (
        "last_change_date",
        "",
        lambda r: (
            r.last_change_at == r.appointment_at.replace(day=14, hour=15, minute=22, second=5)
        ),
    ),  # create_date stands in
    ("goods_transactions", "", lambda r: r.record_id == 601234501),  # not mapped at all
]


@pytest.mark.parametrize(("path", "value", "check"), READ, ids=[f"{p}={v!r}" for p, v, _ in READ])
def test_a_drifted_field_is_read(path: str, value: object, check: Check) -> None:
    record = decode_record(json.dumps(with_field(base_record(), path, value)).encode())
    assert check(record)
    # and the same record in a page that fails the typed decoder elsewhere
    other = with_field(base_record(), "client.phone", 79031234567)
    page = decode_page(json.dumps({"success": True, "data": [record_json := with_field(
        base_record(), path, value), other], "meta": {"total_count": 2}}).encode())  # fmt: skip
    assert page.errors == [] and len(page.records) == 2, record_json


# (field path, value sent, the field the error names)
REFUSED: list[tuple[str, object, str]] = [
    ("client.phone", ["+79161234567", "+79031234567"], "client.phone"),  # which one?
    ("client.phone", True, "client.phone"),
    ("client.phone", {"number": "+79161234567"}, "client.phone"),
    ("client.email", 42, "client.email"),
    ("client", [{"phone": "+79161234567"}], "client"),
    ("services", "manicure", "services"),
    ("services", ["manicure"], "services[0]"),
    ("services.0.cost", "", "services[0].cost"),
    ("services.0.cost", None, "services[0].cost"),
    ("services.0.cost", "two thousand", "services[0].cost"),
    ("attendance", True, "attendance"),
    ("attendance", "came", "attendance"),
    ("deleted", "yes", "deleted"),
    ("deleted", 2, "deleted"),
    ("comment", ["Код клиента: ABC12345"], "comment"),
    ("id", {"weird": True}, "id"),
    ("datetime", "2026-11-20 11:00:00", "datetime"),  # no offset: cannot be placed in UTC
    ("datetime", DROP, "datetime"),
]


@pytest.mark.parametrize(
    ("path", "value", "field"), REFUSED, ids=[f"{p}={v!r}" for p, v, _ in REFUSED]
)
def test_an_unreadable_needed_field_is_a_per_record_error_naming_it(
    path: str, value: object, field: str
) -> None:
    bad = with_field(base_record(), path, value)
    with pytest.raises(RecordMappingError) as caught:
        decode_record(json.dumps(bad).encode())
    assert caught.value.field == field

    good = with_field(base_record(), "id", 601234599)
    page = decode_page(
        json.dumps({"success": True, "data": [bad, good], "meta": {"total_count": 2}}).encode()
    )
    assert [r.record_id for r in page.records] == [601234599]
    assert [e.field for e in page.errors] == [field]


def test_a_page_as_salons_send_it() -> None:
    page = decode_page((DRIFT / "records_page_type_drift.json").read_bytes())

    first, second, third = page.records
    assert first.record_id == 601234601
    assert first.client is not None and phone_key(first.client.phone) == "9161234567"
    assert first.status is BookingStatus.COMPLETED  # from visit_attendance
    assert first.price == Decimal("2500.00")
    assert first.staff_name is None and first.comment == ""

    assert second.services == () and second.client is None
    assert second.status is BookingStatus.CONFIRMED and not second.deleted

    assert third.deleted and third.status is BookingStatus.CANCELLED
    assert third.price == Decimal("3000.50")
    assert [s.title for s in third.services] == ["Маникюр с покрытием гель-лак", "2024"]
    assert third.client is not None and third.client.phone is None
    assert third.client.name == "12 Иванова"
    assert third.last_change_at == third.appointment_at.replace(
        day=14, hour=15, minute=22, second=5
    )
    assert extract_code(third.comment) == "ABC12345"

    assert [(e.record_id, e.field) for e in page.errors] == [("601234604", "client.phone")]
    assert (page.rows, page.total_count) == (4, 4)


def test_a_phone_sent_as_a_number_no_longer_throws_the_record_away() -> None:
    # The defect: `Expected str | null, got int - at $.client.phone` made the whole record
    # an error (and a sync quarantined it for ever), so its visit never earned points.
    record = with_field(base_record(), "client.phone", 79161234567)
    decoded = decode_record(json.dumps(record).encode())
    assert decoded.status is BookingStatus.COMPLETED
    assert decoded.client is not None and decoded.client.phone == "79161234567"


def test_a_record_without_attendance_takes_its_status_from_visit_attendance() -> None:
    record = with_field(base_record(), "attendance", DROP)
    for visit, status in ((1, BookingStatus.COMPLETED), (2, BookingStatus.CONFIRMED),
                          (-1, BookingStatus.NO_SHOW), (0, BookingStatus.PENDING)):  # fmt: skip
        record["visit_attendance"] = visit
        assert decode_record(json.dumps(record).encode()).status is status
    # `attendance` wins when both are there
    record["attendance"], record["visit_attendance"] = 2, 1
    assert decode_record(json.dumps(record).encode()).status is BookingStatus.CONFIRMED
