"""The console's Salons page (issue 22 item 1), server side: the list with status, last sync,
webhooks today and held, unknown companies; add, pause / resume, rotate (CSRF like the other
forms); the webhook URL with its secret only in the answer to add / rotate."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime

from src.domain.sync_run import RunStatus, SyncCounts, SyncKind, SyncRun
from src.entrypoints.settings import Settings
from tests.factories import COMPANY_ID
from tests.integration.http.conftest import WEBHOOK_SECRET, Api, app_client, make_settings
from tests.integration.http.test_console import request, sign_in
from tests.integration.http.test_salons import SALON_A, SALON_B, event_states, hook

SECRET_IN_URL = re.compile(r"/api/v1/yclients/webhook\?secret=([A-Za-z0-9_\-%]+)")


async def signed_in(api: Api) -> None:
    admin = await api.admin()
    assert (await sign_in(api.client, admin.user.email)).status_code in (302, 303)


async def test_salons_page_adds_pauses_resumes_and_rotates_with_the_secret_shown_once(
    api: Api,
) -> None:
    await signed_in(api)
    page = await api.client.get("/admin/salons")
    assert page.status_code == 200 and "Салоны" in page.text
    assert f'data-company="{COMPANY_ID}"' in page.text and "общий секрет" in page.text
    assert not SECRET_IN_URL.search(page.text)  # no salon's secret on the list

    added = await request(
        api.client, "POST", "/admin/salons", {"company_id": str(SALON_A), "name": "Тверская"}
    )
    assert added.status_code == 200, added.text
    [secret] = set(SECRET_IN_URL.findall(added.text))  # on screen and in the copy button
    [row] = await api.rows("SELECT secret_digest FROM salons WHERE company_id = :c", c=SALON_A)
    assert row.secret_digest == hashlib.sha256(secret.encode()).hexdigest()
    assert not SECRET_IN_URL.search((await api.client.get("/admin/salons")).text)  # once
    await api.container.queue.wait_idle()  # its first sync, run in this process

    paused = await request(
        api.client, "POST", f"/admin/salons/{SALON_A}/status", {"status": "paused"}
    )
    assert paused.status_code in (302, 303)
    assert (await hook(api, SALON_A, 601000020, secret)).json()["status"] == "held"
    await hook(api, SALON_B, 601000021, WEBHOOK_SECRET)  # an unknown company
    page = (await api.client.get("/admin/salons")).text
    assert "на паузе" in page and "Салон 700001 на паузе" in page
    row_a = page[page.index(f'data-company="{SALON_A}"') :].split("</tr>")[0]
    assert [int(n) for n in re.findall(r'<td class="num">(\d+)</td>', row_a)] == [1, 1]
    assert 'id="unknown-companies"' in page and f"<td>{SALON_B}</td>" in page

    resumed = await request(
        api.client, "POST", f"/admin/salons/{SALON_A}/status", {"status": "active"}
    )
    assert resumed.status_code in (302, 303)
    assert SALON_A in api.container.queue.kicks  # its drain was kicked
    await api.container.drain_inbox(SALON_A)  # the worker's drain, here
    assert await event_states(api, SALON_A) == ["PROCESSED"]

    rotated = await request(api.client, "POST", f"/admin/salons/{SALON_A}/rotate", {})
    assert rotated.status_code == 200
    [new] = set(SECRET_IN_URL.findall(rotated.text))
    assert new != secret
    assert (await hook(api, SALON_A, 601000022, secret)).status_code == 401
    assert (await hook(api, SALON_A, 601000022, new)).status_code == 200


async def test_a_bad_salon_form_says_why_and_adds_nothing(api: Api) -> None:
    await signed_in(api)
    for form, word in [
        ({"company_id": "abc", "name": "X"}, "company_id"),
        ({"company_id": "700003", "name": "X", "timezone": "Mars/Base"}, "timezone"),
        ({"company_id": str(COMPANY_ID), "name": "X"}, "already exists"),
    ]:
        response = await request(api.client, "POST", "/admin/salons", form)
        assert response.status_code in (409, 422) and word in response.text, response.text
    assert [r.company_id for r in await api.rows("SELECT company_id FROM salons")] == [COMPANY_ID]
    # Without its CSRF token the form is refused.
    refused = await api.client.post("/admin/salons", data={"company_id": "700004", "name": "X"})
    assert refused.status_code == 403


async def test_salons_page_in_english(api: Api, pg_url: str) -> None:
    settings: Settings = make_settings(pg_url, ADMIN_LANGUAGE="en")
    from src.entrypoints.asgi import create_app
    from src.entrypoints.bootstrap import build_container
    from tests.fakes.auth import FakeHasher

    container = build_container(
        settings, uow_factory=api.container.uow_factory, hasher=FakeHasher()
    )
    try:
        async with app_client(create_app(container)) as client:
            admin = await api.admin()
            await sign_in(client, admin.user.email)
            page = await client.get("/admin/salons")
            assert page.status_code == 200
            assert "Salons" in page.text and "Webhooks today" in page.text and "Pause" in page.text
    finally:
        await container.aclose()


async def test_salons_page_shows_the_schedule_backoff_and_the_last_runs_kind(api: Api) -> None:
    """Issue 22 item 4: next scheduled sync, failures in a row (backing off), and what the
    last run read (full sweep or changes only, and its YClients requests)."""
    await signed_in(api)
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    async with api.container.uow_factory() as uow:
        await uow.sync_runs.add(SyncRun(
            COMPANY_ID, "schedule", at, RunStatus.SUCCEEDED, SyncCounts(requests=3),
            finished_at=at, kind=SyncKind.INCREMENTAL,
        ))  # fmt: skip
        assert await uow.salons.sync_failed(COMPANY_ID) == 1
        assert await uow.salons.sync_failed(COMPANY_ID) == 2
        await uow.salons.defer_sync(COMPANY_ID, at)
        await uow.commit()
    page = (await api.client.get("/admin/salons")).text
    row = page[page.index(f'data-company="{COMPANY_ID}"') :].split("</tr>")[0]
    assert "только изменения · запросов: 3" in row
    assert "ошибок подряд: 2, пауза" in row
    assert "Следующая синхронизация" in page
