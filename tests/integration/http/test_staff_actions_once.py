"""Issue 20 item 8 (server side) and item 9's headers. A double-click on "Изменить баллы" or
"Списать баллы" saved the operation twice, and a double-click on "Синхронизировать" started
two runs; `1e5` in the adjustment field added 100,000 points. The console and the API sent
no anti-framing, nosniff, referrer or no-store headers."""

from __future__ import annotations

import asyncio
import re
import uuid
from decimal import Decimal

import pytest

from tests.integration.http.conftest import Api
from tests.integration.http.test_console import csrf_token, sign_in


async def test_double_click_a_console_adjustment_sent_twice_with_its_key_moves_points_once(
    api: Api,
) -> None:
    admin, member = await api.admin(), await api.member()
    await sign_in(api.client, admin.user.email)
    form = {
        "amount": "100", "reason": "gift", "once": uuid.uuid4().hex,
        "_csrf_token": await csrf_token(api.client),
    }  # fmt: skip
    url = f"/admin/members/{member.id}/points"
    answers = await asyncio.gather(*[api.client.post(url, data=form) for _ in range(3)])
    assert all(a.status_code in (302, 303) for a in answers), [a.text for a in answers]
    again = await api.client.post(url, data=form)  # the form resubmitted (back, submit)
    assert again.status_code in (302, 303)
    page = (await api.client.get(again.headers["location"])).text
    assert "Баллы изменены: 100,00" in page  # the first answer, again
    assert (await api.container.profile(member.id)).account.balance == Decimal("100.00")
    fresh = {**form, "once": uuid.uuid4().hex}  # a new form is a new adjustment
    await api.client.post(url, data=fresh)
    assert (await api.container.profile(member.id)).account.balance == Decimal("200.00")


async def test_double_click_a_console_redemption_and_link_happen_once(api: Api) -> None:
    admin, member = await api.admin(), await api.member()
    await api.container.adjust_points(member.id, Decimal(1000), "gift", admin.id)
    await sign_in(api.client, admin.user.email)
    token = await csrf_token(api.client)
    form = {"points": "150", "reason": "visit", "once": uuid.uuid4().hex, "_csrf_token": token}
    url = f"/admin/members/{member.id}/redemptions"
    for _ in range(3):
        assert (await api.client.post(url, data=form)).status_code in (302, 303)
    assert (await api.container.profile(member.id)).account.balance == Decimal("850.00")


def _run_ids(page: str) -> str:
    """The runs a Sync-now answer shows: polled while running (`ids=`), else listed."""
    polled = re.search(r"ids=([0-9,]+)", page)
    if polled:
        return polled.group(1)
    return ",".join(re.findall(r'<tr class="run"[^>]*>\s*<td>(\d+)</td>', page))


async def test_double_click_sync_now_starts_one_run(api: Api) -> None:
    admin = await api.admin()
    await sign_in(api.client, admin.user.email)
    headers = {"HX-Request": "true", "x-csrftoken": await csrf_token(api.client)}
    form = {"once": uuid.uuid4().hex}
    first, second = await asyncio.gather(
        *[api.client.post("/admin/sync", data=form, headers=headers) for _ in range(2)]
    )
    ids = {_run_ids(a.text) for a in (first, second)}
    assert len(ids) == 1 and "" not in ids, (first.text, second.text)
    assert await api.count("sync_runs") == len(api.container.settings.YCLIENTS_COMPANY_IDS)
    # The answer brings a fresh button: the next click is a new key, so a new sync.
    keys = re.findall(r'&#34;once&#34;: &#34;([^&]+)&#34;|"once": "([^"]+)"', first.text)
    assert keys and form["once"] not in str(keys)


@pytest.mark.parametrize("typed", ["1e5", "1_0", "12.345", "NaN", "1,000.50"])
async def test_amount_rule_the_console_refuses_what_it_used_to_misread(
    api: Api, typed: str
) -> None:
    admin, member = await api.admin(), await api.member()
    await sign_in(api.client, admin.user.email)
    form = {
        "amount": typed, "reason": "gift", "once": uuid.uuid4().hex,
        "_csrf_token": await csrf_token(api.client),
    }  # fmt: skip
    refused = await api.client.post(f"/admin/members/{member.id}/points", data=form)
    page = (await api.client.get(refused.headers["location"])).text
    # Refused next to its field, in staff's words (the amount rule).
    assert 'id="adjust-amount-error"' in page and "Введите число" in page
    assert (await api.container.profile(member.id)).account.balance == Decimal("0.00")


async def test_amount_rule_the_member_page_shows_the_same_rule_as_its_pattern(api: Api) -> None:
    from html import unescape

    from src.domain.money import AMOUNT_PATTERN

    admin, member = await api.admin(), await api.member()
    await sign_in(api.client, admin.user.email)
    page = (await api.client.get(f"/admin/members/{member.id}")).text
    patterns = [unescape(p) for p in re.findall(r'pattern="([^"]+)"', page)]
    assert patterns == [AMOUNT_PATTERN, AMOUNT_PATTERN]


async def test_idempotency_key_a_replayed_api_adjustment_and_redemption_apply_once(
    api: Api,
) -> None:
    admin, member = await api.admin(), await api.member()
    key = {**admin.headers, "Idempotency-Key": str(uuid.uuid4())}
    url = f"/api/v1/admin/users/{member.id}/points"
    body = {"amount": "300", "reason": "gift"}
    answers = await asyncio.gather(
        *[api.client.post(url, json=body, headers=key) for _ in range(3)]
    )
    assert {a.status_code for a in answers} == {201}, [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1  # the first result, every time
    assert (await api.container.profile(member.id)).account.balance == Decimal("300.00")
    reused = await api.client.post(url, json={"amount": "3000", "reason": "gift"}, headers=key)
    assert reused.status_code == 422 and "another request" in reused.text
    spend = {**admin.headers, "Idempotency-Key": str(uuid.uuid4())}
    redeem = f"/api/v1/admin/users/{member.id}/redemptions"
    for _ in range(2):
        r = await api.client.post(redeem, json={"points": "100", "reason": "visit"}, headers=spend)
        assert r.status_code == 201, r.text
    assert (await api.container.profile(member.id)).account.balance == Decimal("200.00")
    # Without a key the API behaves as before (each request is its own).
    await api.client.post(url, json=body, headers=admin.headers)
    assert (await api.container.profile(member.id)).account.balance == Decimal("500.00")


async def test_idempotency_key_a_replayed_api_sync_starts_one_run(api: Api) -> None:
    admin = await api.admin()
    key = {**admin.headers, "Idempotency-Key": str(uuid.uuid4())}
    first = await api.client.post("/api/v1/yclients/sync-bookings", headers=key)
    second = await api.client.post("/api/v1/yclients/sync-bookings", headers=key)
    assert first.status_code == second.status_code == 202, (first.text, second.text)
    assert first.json()["run_id"] == second.json()["run_id"]
    assert await api.count("sync_runs") == len(api.container.settings.YCLIENTS_COMPANY_IDS)


@pytest.mark.parametrize(
    ("method", "path", "no_store"),
    [
        ("GET", "/admin/login", True),
        ("GET", "/admin", True),  # the redirect to sign in
        ("POST", "/api/v1/auth/login", True),
        ("POST", "/api/v1/auth/register", True),
        ("POST", "/api/v1/auth/password-reset/request", True),
        ("GET", "/api/v1/users/me", False),
        ("GET", "/health", False),
    ],
)
async def test_security_headers_on_console_pages_and_auth_answers(
    api: Api, method: str, path: str, no_store: bool
) -> None:
    response = await api.client.request(method, path, json={} if method == "POST" else None)
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    if no_store:
        assert response.headers["cache-control"] == "no-store", response.headers
