"""The admin console, server side: every route needs a signed-in admin, forms need their
CSRF token, sessions are HttpOnly cookies, and actions call the use cases."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest

from src.domain.booking import BookingStatus
from src.domain.user import Role
from tests.integration.http.conftest import PASSWORD, WEBHOOK_SECRET, Api, Member

# Every console route (method, path, form). Ids that do not exist are fine: the guard runs first.
CONSOLE_ROUTES = [
    ("GET", "/admin", None),
    ("GET", "/admin/unmatched", None),
    ("GET", "/admin/unmatched/1/candidates?q=x", None),
    ("POST", "/admin/bookings/1/link", {"user_id": "1"}),
    ("GET", "/admin/webhooks", None),
    ("POST", "/admin/webhooks/1/replay", {}),
    ("GET", "/admin/members", None),
    ("GET", "/admin/members/1", None),
    ("POST", "/admin/members/1/points", {"amount": "10", "reason": "gift"}),
    ("POST", "/admin/sync", {}),
    ("GET", "/admin/sync-runs?ids=1", None),
    ("GET", "/admin/settings", None),
]


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The token a page embeds for its forms (and HTMX requests)."""
    page = await client.get("/admin/login")
    match = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert match, page.text
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, email: str) -> httpx.Response:
    token = await csrf_token(client)
    return await client.post(
        "/admin/login",
        data={"email": email, "password": PASSWORD, "next": "/admin", "_csrf_token": token},
    )


async def request(
    client: httpx.AsyncClient, method: str, path: str, form: dict[str, str] | None
) -> httpx.Response:
    headers = {"x-csrftoken": await csrf_token(client)} if method == "POST" else {}
    return await client.request(method, path, data=form, headers=headers)


@pytest.mark.parametrize(("method", "path", "form"), CONSOLE_ROUTES)
async def test_console_routes_redirect_strangers_to_sign_in(
    api: Api, method: str, path: str, form: dict[str, str] | None
) -> None:
    response = await request(api.client, method, path, form)
    assert response.status_code in (302, 303), response.text
    assert response.headers["location"].startswith("/admin/login")
    htmx = await api.client.request(
        method, path, data=form,
        headers={"HX-Request": "true", "x-csrftoken": await csrf_token(api.client)},
    )  # fmt: skip
    assert htmx.headers.get("HX-Redirect", "").startswith("/admin/login"), htmx.text


@pytest.mark.parametrize(("method", "path", "form"), CONSOLE_ROUTES)
async def test_console_routes_refuse_a_non_admin(
    api: Api, method: str, path: str, form: dict[str, str] | None
) -> None:
    """An admin signed in, then demoted: the same session gets 403 at once."""
    admin, other = await api.admin(), await api.admin()
    assert (await sign_in(api.client, admin.user.email)).status_code in (302, 303)
    await api.container.change_role(admin.id, Role.USER)
    response = await request(api.client, method, path, form)
    assert response.status_code == 403, response.text
    assert other.id  # the other admin keeps the last-admin rule out of the way
    assert await api.count("loyalty_transactions") == 0


async def test_a_members_credentials_are_refused_as_not_an_admin(api: Api) -> None:
    member = await api.member()
    response = await sign_in(api.client, member.user.email)
    assert response.status_code == 403
    assert "Это не администратор" in response.text
    assert (await api.client.get("/admin")).status_code in (302, 303)


async def test_sign_in_sets_an_httponly_lax_session_cookie_and_logout_ends_it(api: Api) -> None:
    admin = await api.admin()
    response = await sign_in(api.client, admin.user.email)
    assert response.status_code in (302, 303), response.text
    cookie = next(c for c in response.headers.get_list("set-cookie") if "admin_session=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/admin" in cookie
    assert "Max-Age=43200" in cookie
    assert (await api.client.get("/admin")).status_code == 200
    out = await request(api.client, "POST", "/admin/logout", {})
    assert out.status_code in (302, 303)
    assert (await api.client.get("/admin")).status_code in (302, 303)


async def test_a_form_without_its_csrf_token_is_rejected(api: Api) -> None:
    admin, member = await api.admin(), await api.member()
    await sign_in(api.client, admin.user.email)
    response = await api.client.post(
        f"/admin/members/{member.id}/points", data={"amount": "10", "reason": "gift"}
    )
    assert response.status_code == 403
    assert await api.count("loyalty_transactions") == 0


async def test_the_json_api_and_webhook_need_no_csrf_token(api: Api) -> None:
    admin, member = await api.admin(), await api.member()
    response = await api.client.post(
        f"/api/v1/admin/users/{member.id}/points", json={"amount": "5.00", "reason": "gift"},
        headers=admin.headers,
    )  # fmt: skip
    assert response.status_code == 201, response.text


async def _signed_in(api: Api) -> Member:
    admin = await api.admin()
    await sign_in(api.client, admin.user.email)
    return admin


async def test_every_page_renders_for_an_admin(api: Api) -> None:
    admin = await _signed_in(api)
    member = await api.member(name="Мария", phone="+7 916 555-12-34")
    await api.ingest(api.record(email="stranger@example.com"))
    for path in [
        "/admin", "/admin/unmatched", "/admin/webhooks", "/admin/webhooks?state=DEAD",
        "/admin/members", "/admin/members?q=мария", f"/admin/members/{member.id}",
        "/admin/settings", "/admin/unmatched/1/candidates?q=916",
    ]:  # fmt: skip
        response = await api.client.get(path)
        assert response.status_code == 200, (path, response.text)
        assert response.headers["content-type"].startswith("text/html"), path
    members = await api.client.get("/admin/members?q=8 916 555 12 34")
    assert "Мария" in members.text
    settings = (await api.client.get("/admin/settings")).text
    shown = re.search(r'<code id="webhook-url">([^<]*)</code>', settings)
    masked = f"?secret={WEBHOOK_SECRET[:2]}••••••••{WEBHOOK_SECRET[-2:]}"
    assert shown and shown.group(1).endswith(masked)  # masked on screen
    assert f"?secret={WEBHOOK_SECRET}" in settings  # the copy button's value
    assert admin.id


async def test_adjusting_points_and_linking_change_the_members_balance(api: Api) -> None:
    await _signed_in(api)
    member = await api.member()
    done = await request(
        api.client, "POST", f"/admin/members/{member.id}/points",
        {"amount": "12,50", "reason": "birthday"},
    )  # fmt: skip
    assert done.status_code in (302, 303), done.text
    page = (await api.client.get(done.headers["location"])).text
    assert "12,50" in page and "birthday" in page
    record = api.record(status=BookingStatus.COMPLETED, price="2500.00")
    await api.ingest(record)
    booking = await api.booking(record.record_id)
    linked = await request(
        api.client, "POST", f"/admin/bookings/{booking.id}/link", {"user_id": str(member.id)}
    )
    assert linked.headers["location"] == f"/admin/members/{member.id}"
    assert (await api.container.profile(member.id)).account.balance == Decimal("87.50")
    refused = await request(
        api.client, "POST", f"/admin/members/{member.id}/points", {"amount": "x", "reason": "r"}
    )
    page = (await api.client.get(refused.headers["location"])).text
    assert "amount" in page


async def test_english_labels_and_a_secure_cookie_outside_dev(api: Api, pg_url: str) -> None:
    from src.entrypoints.http.app import create_app
    from tests.integration.http.conftest import NO_LIMIT, make_settings

    admin = await api.admin()
    settings = make_settings(pg_url, ADMIN_LANGUAGE="en", APP_ENV="prod")
    app = create_app(api.container, settings, login_rate_limit=NO_LIMIT)
    transport = httpx.ASGITransport(app=app)  # https: Secure cookies are sent back
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        login = await client.get("/admin/login")
        assert "Sign in" in login.text and "Войти" not in login.text
        signed = await sign_in(client, admin.user.email)
        assert signed.status_code in (302, 303), signed.text
        cookie = next(c for c in signed.headers.get_list("set-cookie") if "admin_session=" in c)
        assert "Secure" in cookie


async def test_sign_in_is_throttled_like_the_api(api: Api, pg_url: str) -> None:
    from src.entrypoints.http.app import create_app
    from tests.integration.http.conftest import app_client

    admin = await api.admin()
    app = create_app(api.container, login_rate_limit=("minute", 2))
    async with app_client(app) as client:
        token = await csrf_token(client)
        form = {"email": admin.user.email, "password": "wrong", "_csrf_token": token}
        statuses = [(await client.post("/admin/login", data=form)).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]


async def test_hostile_ids_get_an_answer_not_a_crash(api: Api) -> None:
    await _signed_in(api)
    runs = await api.client.get("/admin/sync-runs?ids=99999999999999999999999,abc,0")
    assert runs.status_code == 200, runs.text
    linked = await request(
        api.client, "POST", "/admin/bookings/1/link", {"user_id": "99999999999999999999999"}
    )
    assert linked.status_code in (302, 303), linked.text
    page = (await api.client.get(linked.headers["location"])).text
    assert "user_id" in page
    assert (await api.client.get("/admin/members/99999999999999999999999")).status_code == 400
