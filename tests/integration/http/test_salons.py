"""Salons as data (issue 22 item 1) through HTTP: /api/v1/admin/salons and the webhook's
per-salon secret, paused and unknown salons' webhooks held, the shared secret of the salons
created from YCLIENTS_COMPANY_IDS until they are rotated."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest
from dirty_equals import IsInt, IsStr

from src.domain.sync_run import RunStatus
from tests.factories import COMPANY_ID
from tests.integration.http.conftest import WEBHOOK_SECRET, Api, Member, webhook_body
from tests.integration.http.helpers import assert_error

SALONS = "/api/v1/admin/salons"
WEBHOOK = "/api/v1/yclients/webhook"
SALON_A, SALON_B = 700001, 700002


def body_for(company_id: int, record_id: int) -> bytes:
    body = json.loads(webhook_body(record_id))
    body["company_id"] = body["data"]["company_id"] = company_id
    return json.dumps(body, ensure_ascii=False).encode()


async def hook(api: Api, company_id: int, record_id: int, secret: str | None) -> httpx.Response:
    return await api.client.post(
        WEBHOOK,
        content=body_for(company_id, record_id),
        params={"secret": secret} if secret is not None else None,
        headers={"Content-Type": "application/json"},
    )


async def add(api: Api, admin: Member, company_id: int, name: str = "Salon") -> dict[str, Any]:
    response = await api.client.post(
        SALONS, json={"company_id": company_id, "name": name}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


async def event_states(api: Api, company_id: int) -> list[str]:
    rows = await api.rows(
        "SELECT state FROM webhook_events WHERE company_id = :c ORDER BY id", c=company_id
    )
    return [r.state for r in rows]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", SALONS),
        ("POST", SALONS),
        ("PATCH", f"{SALONS}/{COMPANY_ID}"),
        ("POST", f"{SALONS}/{COMPANY_ID}/rotate-secret"),
    ],
)
async def test_salon_routes_need_an_admin(api: Api, method: str, path: str) -> None:
    body = {"company_id": SALON_A, "name": "X"} if method == "POST" else {"status": "paused"}
    assert_error(await api.client.request(method, path, json=body), 401)
    member = await api.member()
    response = await api.client.request(method, path, json=body, headers=member.headers)
    assert_error(response, 403, "admin")
    assert [r.company_id for r in await api.rows("SELECT company_id FROM salons")] == [COMPANY_ID]


async def test_adding_a_salon_shows_its_secret_once_stores_a_digest_and_starts_its_first_sweep(
    api: Api,
) -> None:
    admin = await admin_of(api)
    api.gateway.put(api.record(601000010, company_id=SALON_A))  # already booked in YClients
    created = await add(api, admin, SALON_A, "Салон на Тверской")
    secret = created["webhook_secret"]
    assert created == {
        "company_id": SALON_A, "name": "Салон на Тверской", "region": "RU",
        "timezone": "Europe/Moscow", "status": "active", "accepts_shared_secret": False,
        "created_at": IsStr(), "changed_at": IsStr(), "webhook_secret": IsStr(min_length=43),
        "webhook_url": f"http://testserver/api/v1/yclients/webhook?secret={secret}",
        "last_sync_at": None, "sync_lag_seconds": None, "webhooks_today": None,
        "held_webhooks": None,
    }  # fmt: skip
    # Stored as its SHA-256 digest only: no column of the row holds the secret.
    [row] = await api.rows("SELECT * FROM salons WHERE company_id = :c", c=SALON_A)
    assert row.secret_digest == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret in str(value) for value in row)
    # Never shown again.
    listed = (await api.client.get(SALONS, headers=admin.headers)).json()
    mine = next(s for s in listed["items"] if s["company_id"] == SALON_A)
    assert mine["webhook_secret"] is None
    assert mine["webhook_url"] == "http://testserver/api/v1/yclients/webhook"
    # Its first full-window sync was queued (and, in these tests, run in the process).
    await api.container.queue.wait_idle()
    runs = await api.rows("SELECT trigger, status FROM sync_runs WHERE company_id = :c", c=SALON_A)
    assert [(r.trigger, r.status) for r in runs] == [("new_salon", RunStatus.SUCCEEDED.value)]
    synced = await api.rows(
        "SELECT yclients_record_id FROM bookings WHERE company_id = :c", c=SALON_A
    )
    assert [r.yclients_record_id for r in synced] == [601000010]
    # The same company twice: 409, nothing changed.
    again = await api.client.post(
        SALONS, json={"company_id": SALON_A, "name": "Other"}, headers=admin.headers
    )
    assert_error(again, 409, str(SALON_A))
    assert (await api.rows("SELECT name FROM salons WHERE company_id = :c", c=SALON_A))[
        0
    ].name == "Салон на Тверской"


async def admin_of(api: Api) -> Member:
    return await api.admin()


async def test_webhook_with_another_salons_secret_is_401(api: Api) -> None:
    admin = await admin_of(api)
    a = await add(api, admin, SALON_A)
    b = await add(api, admin, SALON_B)
    refused = await hook(api, SALON_A, 601000001, b["webhook_secret"])
    assert_error(refused, 401, "secret")
    assert await event_states(api, SALON_A) == []
    # The shared secret is no salon-created-by-API's secret either.
    assert_error(await hook(api, SALON_A, 601000001, WEBHOOK_SECRET), 401)
    ok = await hook(api, SALON_A, 601000001, a["webhook_secret"])
    assert ok.status_code == 200 and ok.json() == {"status": "accepted", "event_id": IsInt()}
    assert await event_states(api, SALON_A) == ["PENDING"]


async def test_paused_salons_webhooks_are_kept_and_processed_on_resume(api: Api) -> None:
    admin = await admin_of(api)
    salon = await add(api, admin, SALON_A)
    await api.container.queue.wait_idle()
    paused = await api.client.patch(
        f"{SALONS}/{SALON_A}", json={"status": "paused"}, headers=admin.headers
    )
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    held = await hook(api, SALON_A, 601000002, salon["webhook_secret"])
    assert held.status_code == 200 and held.json()["status"] == "held"
    assert await event_states(api, SALON_A) == ["HELD"]
    listed = (await api.client.get(SALONS, headers=admin.headers)).json()
    mine = next(s for s in listed["items"] if s["company_id"] == SALON_A)
    assert (mine["status"], mine["held_webhooks"], mine["webhooks_today"]) == ("paused", 1, 1)
    # A paused salon is not synced by the schedule (nor by "sync all").
    assert SALON_A not in await active_ids(api)

    # Resumed: the held webhook is processed (here the drain runs in the process).
    resumed = await api.client.patch(
        f"{SALONS}/{SALON_A}", json={"status": "active"}, headers=admin.headers
    )
    assert resumed.status_code == 200 and resumed.json()["status"] == "active"
    assert SALON_A in api.container.queue.kicks  # its drain was kicked
    await api.container.drain_inbox(SALON_A)  # the worker's drain, here
    assert await event_states(api, SALON_A) == ["PROCESSED"]
    booked = await api.rows(
        "SELECT 1 FROM bookings WHERE company_id = :c AND yclients_record_id = 601000002",
        c=SALON_A,
    )
    assert len(booked) == 1
    assert SALON_A in await active_ids(api)


async def active_ids(api: Api) -> list[int]:
    async with api.container.uow_factory() as uow:
        return await uow.salons.active_ids()


async def test_salon_from_the_environment_accepts_the_shared_secret_until_rotated(
    api: Api,
) -> None:
    admin = await admin_of(api)
    listed = (await api.client.get(SALONS, headers=admin.headers)).json()
    [env] = [s for s in listed["items"] if s["company_id"] == COMPANY_ID]
    assert env["accepts_shared_secret"] is True
    first = await hook(api, COMPANY_ID, 601000003, WEBHOOK_SECRET)
    assert first.status_code == 200 and first.json()["status"] == "accepted"

    rotated = await api.client.post(f"{SALONS}/{COMPANY_ID}/rotate-secret", headers=admin.headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()
    assert new["accepts_shared_secret"] is False and new["webhook_url"].endswith(
        f"?secret={new['webhook_secret']}"
    )
    assert_error(await hook(api, COMPANY_ID, 601000004, WEBHOOK_SECRET), 401)
    ok = await hook(api, COMPANY_ID, 601000004, new["webhook_secret"])
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    # Rotating again retires the previous own secret as well.
    again = await api.client.post(f"{SALONS}/{COMPANY_ID}/rotate-secret", headers=admin.headers)
    assert_error(await hook(api, COMPANY_ID, 601000005, new["webhook_secret"]), 401)
    ok = await hook(api, COMPANY_ID, 601000005, again.json()["webhook_secret"])
    assert ok.status_code == 200


async def test_unknown_companys_webhook_is_held_listed_and_processed_once_it_is_added(
    api: Api,
) -> None:
    admin = await admin_of(api)
    assert_error(await hook(api, SALON_B, 601000006, "not-the-shared-secret"), 401)
    held = await hook(api, SALON_B, 601000006, WEBHOOK_SECRET)
    assert held.status_code == 200 and held.json()["status"] == "held"
    listed = (await api.client.get(SALONS, headers=admin.headers)).json()
    assert listed["unknown_companies"] == [
        {"company_id": SALON_B, "webhooks_today": 1, "held_webhooks": 1}
    ]
    await add(api, admin, SALON_B)
    assert SALON_B in api.container.queue.kicks  # its drain was kicked
    await api.container.drain_inbox(SALON_B)  # the worker's drain, here
    assert await event_states(api, SALON_B) == ["PROCESSED"]
    listed = (await api.client.get(SALONS, headers=admin.headers)).json()
    assert listed["unknown_companies"] == []


@pytest.mark.parametrize(
    ("body", "names"),
    [
        ({"timezone": "Mars/Olympus"}, ["timezone"]),
        ({"region": "R1"}, ["region"]),
        ({"name": "   "}, ["name"]),
        ({"status": "closed"}, ["status"]),
        ({"colour": "red"}, ["colour"]),
    ],
)
async def test_bad_changes_are_422_naming_the_field_and_change_nothing(
    api: Api, body: dict[str, str], names: list[str]
) -> None:
    admin = await admin_of(api)
    before = await api.rows("SELECT * FROM salons")
    response = await api.client.patch(f"{SALONS}/{COMPANY_ID}", json=body, headers=admin.headers)
    assert_error(response, 422, *names)
    assert await api.rows("SELECT * FROM salons") == before


async def test_changing_a_salon_that_does_not_exist_is_404(api: Api) -> None:
    admin = await admin_of(api)
    response = await api.client.patch(f"{SALONS}/5", json={"name": "X"}, headers=admin.headers)
    assert_error(response, 404, "5")
    assert_error(await api.client.post(f"{SALONS}/5/rotate-secret", headers=admin.headers), 404)


async def test_manual_sync_of_all_companies_reads_the_salons_table(api: Api) -> None:
    admin = await admin_of(api)
    await add(api, admin, SALON_A)
    await api.container.queue.wait_idle()
    await api.client.patch(f"{SALONS}/{SALON_A}", json={"status": "paused"}, headers=admin.headers)
    await add(api, admin, SALON_B)
    await api.container.queue.wait_idle()
    started = await api.client.post("/api/v1/yclients/sync-bookings", headers=admin.headers)
    assert started.status_code == 202, started.text
    assert sorted(r["company_id"] for r in started.json()["runs"]) == [SALON_B, COMPANY_ID]
    paused = await api.client.post(
        "/api/v1/yclients/sync-bookings", params={"company_id": SALON_A}, headers=admin.headers
    )
    assert_error(paused, 409, "paused")
