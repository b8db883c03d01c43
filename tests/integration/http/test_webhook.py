"""POST /api/v1/yclients/webhook: bad input leaves the inbox untouched; good input is stored
once, durably, before the answer."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest

from src.entrypoints.asgi import create_app
from src.entrypoints.runtime import Runtime
from tests.integration.http.conftest import (
    WEBHOOK_SECRET,
    Api,
    app_client,
    webhook_body,
    webhook_fixture,
    with_task_runtime,
)
from tests.integration.http.helpers import assert_error

URL = "/api/v1/yclients/webhook"
GOOD = {"secret": WEBHOOK_SECRET}


async def post(api: Api, body: bytes, params: dict[str, str] | None = GOOD):  # type: ignore[no-untyped-def]
    return await api.client.post(
        URL, content=body, params=params, headers={"Content-Type": "application/json"}
    )


@pytest.mark.parametrize(
    "params",
    [
        None,
        {"secret": ""},
        {"secret": "wrong"},
        {"secret": WEBHOOK_SECRET[:-1]},
        {"secret": WEBHOOK_SECRET + "x"},
        {"secret": WEBHOOK_SECRET.upper()},
        {"Secret": WEBHOOK_SECRET},
    ],
)
async def test_bad_or_missing_secret_is_401_and_stores_nothing(
    api: Api, params: dict[str, str] | None
) -> None:
    response = await post(api, webhook_body(), params)
    assert_error(response, 401, "secret")
    assert await api.count("webhook_events") == 0


async def test_secret_in_a_header_is_not_enough(api: Api) -> None:
    response = await api.client.post(
        URL, content=webhook_body(), headers={"Authorization": f"Bearer {WEBHOOK_SECRET}"}
    )
    assert_error(response, 401)
    assert await api.count("webhook_events") == 0


async def test_accepted_and_stored(api: Api) -> None:
    body = webhook_body()
    response = await post(api, body)
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "accepted", "event_id": response.json()["event_id"]}
    [row] = await api.rows("SELECT * FROM webhook_events")
    assert row.id == response.json()["event_id"]
    assert (row.company_id, row.resource, row.resource_id, row.event_status, row.state) == (
        873456, "record", 601234501, "create", "PENDING",
    )  # fmt: skip
    assert bytes(row.body) == body


@pytest.mark.parametrize(
    "name",
    ["webhook_record_create.json", "webhook_record_update_attendance_came.json",
     "webhook_record_delete.json"],
)  # fmt: skip
async def test_every_contract_fixture_is_accepted(api: Api, name: str) -> None:
    body = json.dumps(webhook_fixture(name), ensure_ascii=False).encode()
    response = await post(api, body)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "accepted"


async def test_a_duplicate_delivery_is_stored_once(api: Api) -> None:
    body = webhook_body()
    first = (await post(api, body)).json()
    second = await post(api, body)
    assert second.status_code == 200
    assert second.json() == {"status": "duplicate", "event_id": first["event_id"]}
    assert await api.count("webhook_events") == 1


async def test_unknown_resource_is_stored_ignored(api: Api) -> None:
    body = json.dumps(
        {"company_id": 873456, "resource": "client", "resource_id": 145500321,
         "status": "update", "data": {"id": 145500321, "name": "Мария"}}
    ).encode()  # fmt: skip
    response = await post(api, body)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    [row] = await api.rows("SELECT state, resource FROM webhook_events")
    assert (row.state, row.resource) == ("IGNORED", "client")


@pytest.mark.parametrize(
    ("body", "status", "names"),
    [
        (b"{not json", 400, ["JSON"]),
        (b"", 400, []),
        (b"[1, 2, 3]", 400, []),
        (b'"record"', 400, []),
        # The decoder names the first missing field (msgspec stops there).
        (b"{}", 422, ["company_id"]),
        (b'{"company_id": 873456, "resource": "record", "status": "create"}', 422,
         ["resource_id"]),
        (b'{"company_id": "abc", "resource": "record", "resource_id": 1, "status": "create"}',
         422, ["company_id"]),
        (b'{"company_id": 873456, "resource": "record", "resource_id": 0, "status": "create"}',
         422, ["resource_id"]),
        (b'{"company_id": 873456, "resource": "record", "resource_id": 9223372036854775808, '
         b'"status": "create"}', 422, ["resource_id"]),
        (b'{"company_id": 873456, "resource": "rec\\u0000", "resource_id": 1, "status": "x"}',
         422, ["NUL"]),
        # A company id beyond 64 bits is no salon's: it was looked up and failed the query
        # (400 write_rejected, found by the OpenAPI fuzz).
        (b'{"company_id": 642729369525905836977600593920, "resource": "record", '
         b'"resource_id": 1, "status": "create"}', 422, ["company_id"]),
        (b'{"company_id": 9223372036854775808, "resource": "record", "resource_id": 1, '
         b'"status": "create"}', 422, ["company_id"]),
    ],
)  # fmt: skip
async def test_bad_bodies_are_rejected_and_store_nothing(
    api: Api, body: bytes, status: int, names: list[str]
) -> None:
    error = assert_error(await post(api, body), status)
    for name in names:
        assert name in error["message"], error
    assert await api.count("webhook_events") == 0


async def test_missing_fields_are_all_named(api: Api) -> None:
    response = await post(api, b'{"data": {}}')
    error = assert_error(response, 422)
    missing = [
        n for n in ("company_id", "resource", "resource_id", "status") if n in error["message"]
    ]
    assert missing, error  # at least the first missing field is named


async def test_body_over_one_mebibyte_is_413(api: Api) -> None:
    padding = "x" * (1024 * 1024)
    body = webhook_body(comment=padding)
    assert len(body) > 1024 * 1024
    assert_error(await post(api, body), 413)

    # Without a Content-Length the limit holds on the bytes actually received.
    async def chunks():  # type: ignore[no-untyped-def]
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    streamed = await api.client.post(URL, content=chunks(), params=GOOD)
    assert_error(streamed, 413)
    assert await api.count("webhook_events") == 0


async def test_just_under_the_limit_is_accepted(api: Api) -> None:
    body = webhook_body()
    body = webhook_body(comment="x" * (1024 * 1024 - len(body) - 10))
    assert len(body) <= 1024 * 1024
    assert (await post(api, body)).status_code == 200


async def test_200_parallel_deliveries_all_land(api: Api) -> None:
    bodies = [webhook_body(record_id=700_000 + i) for i in range(200)]
    responses = await asyncio.gather(*(post(api, body) for body in bodies))
    assert [r.status_code for r in responses] == [200] * 200
    assert {r.json()["status"] for r in responses} == {"accepted"}
    assert len({r.json()["event_id"] for r in responses}) == 200
    assert await api.count("webhook_events") == 200


async def test_the_same_delivery_200_times_in_parallel_is_stored_once(api: Api) -> None:
    body = webhook_body()
    responses = await asyncio.gather(*(post(api, body) for _ in range(200)))
    assert {r.status_code for r in responses} == {200}
    statuses = [r.json()["status"] for r in responses]
    assert statuses.count("accepted") == 1
    assert len({r.json()["event_id"] for r in responses}) == 1
    assert await api.count("webhook_events") == 1


async def test_disabled_integration_still_stores_and_answers(api: Api) -> None:
    api.container.switches.yclients_enabled = False
    response = await post(api, webhook_body())
    assert response.status_code == 200
    [row] = await api.rows("SELECT state FROM webhook_events")
    assert row.state == "PENDING"


async def test_end_to_end_the_webhook_links_the_members_booking(api: Api) -> None:
    """With the in-process task runtime: webhook → inbox → task → booking by code → member."""
    member = await api.member()
    code = (await api.container.issue_booking_form(member.id)).unique_code
    container = with_task_runtime(api)
    runtime = Runtime(container)

    async def start() -> None:
        await runtime.start(run_schedule=False)

    app = create_app(container, on_startup=[start], on_shutdown=[runtime.stop])
    async with app_client(app, lifespan=True) as client:
        body = webhook_body(record_id=601234999, comment=f"Код клиента: {code}")
        response = await client.post(URL, content=body, params=GOOD)
        assert response.json()["status"] == "accepted"
        await runtime.wait_idle()
        bookings = await client.get("/api/v1/booking", headers=member.headers)
    [booking] = bookings.json()["items"]
    assert (booking["yclients_record_id"], booking["match_method"]) == (601234999, "code")
    [row] = await api.rows("SELECT state, attempts FROM webhook_events")
    assert (row.state, row.attempts) == ("PROCESSED", 1)


def _server_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the service logged (not the test's HTTP client)."""
    return [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]


@pytest.mark.parametrize(
    ("params", "reason"),
    [({"secret": "wrong-secret-value"}, "wrong_secret"), (None, "missing_secret")],
)
async def test_rejected_delivery_is_one_log_line_and_counted(
    api: Api, caplog: pytest.LogCaptureFixture, params: dict[str, str] | None, reason: str
) -> None:
    from prometheus_client import REGISTRY

    def rejected() -> float:
        value = REGISTRY.get_sample_value("webhooks_rejected_total", {"reason": reason})
        return value or 0.0

    before = rejected()
    with caplog.at_level(logging.DEBUG):
        response = await post(api, webhook_body(), params)
    assert_error(response, 401, "secret")
    lines = _server_lines(caplog)
    assert [r.getMessage() for r in lines] == ["webhook_rejected"]
    line = lines[0]
    assert line.levelno == logging.WARNING
    assert (line.reason, line.company_id, line.client) == (reason, 873456, "127.0.0.1")  # type: ignore[attr-defined]
    assert all("wrong-secret-value" not in str(v) for v in line.__dict__.values())
    assert rejected() - before == 1
    assert await api.count("webhook_events") == 0


async def test_rejected_delivery_with_a_body_that_is_not_json_is_logged_without_company(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        response = await post(api, b"not json", {"secret": "nope"})
    assert_error(response, 401)
    assert [(r.getMessage(), r.company_id) for r in _server_lines(caplog)] == [  # type: ignore[attr-defined]
        ("webhook_rejected", None)
    ]


def _envelope(record_id: int, **fields: object) -> bytes:
    body = webhook_fixture()
    body["resource_id"] = body["data"]["id"] = record_id
    body.update(fields)
    return json.dumps(body, ensure_ascii=False).encode()


@pytest.mark.parametrize(("field", "width"), [("resource", 64), ("status", 32)])
async def test_webhook_batch_isolation_over_long_field_is_422_and_spares_its_batch(
    api: Api, field: str, width: int
) -> None:
    bad = {5, 17, 30}
    bodies = [
        _envelope(800_000 + n, **({field: "x" * (width + 1)} if n in bad else {}))
        for n in range(39)
    ]
    responses = await asyncio.gather(*(post(api, body) for body in bodies))
    for n, response in enumerate(responses):
        if n in bad:
            assert field in assert_error(response, 422)["message"]
        else:
            assert response.status_code == 200, response.text
    assert await api.count("webhook_events") == 39 - len(bad)
    # The widest value the column holds is still accepted.
    assert (await post(api, _envelope(900_001, **{field: "x" * width}))).status_code == 200


@pytest.mark.parametrize("where", ["data", "top"])
async def test_deeply_nested_json_webhook_is_400_not_500(api: Api, where: str) -> None:
    deep = "[" * 5000 + "]" * 5000
    if where == "data":
        body = _envelope(1).replace(b'"data": {', b'"data": {"x": ' + deep.encode() + b", ", 1)
    else:
        body = ('{"a": ' + deep + "}").encode()
    assert deep.encode() in body
    assert "nested" in assert_error(await post(api, body), 400)["message"]
    assert await api.count("webhook_events") == 0
