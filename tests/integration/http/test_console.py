"""The admin console, server side: every route needs a signed-in admin, forms need their
CSRF token, sessions are HttpOnly cookies, and actions call the use cases."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from src.domain.booking import Booking, BookingStatus
from src.domain.client_codes import comment_line
from src.domain.user import Role
from tests.integration.http.conftest import PASSWORD, WEBHOOK_SECRET, Api, Member

# Every console route (method, path, form). Ids that do not exist are fine: the guard runs first.
# `test_every_console_route_is_listed` compares this list with the app's own routes.
CONSOLE_ROUTES = [
    ("GET", "/admin", None),
    ("GET", "/admin?date=2030-01-15", None),
    ("GET", "/admin/overview", None),
    ("POST", "/admin/logout", {}),
    ("GET", "/admin/unmatched", None),
    ("GET", "/admin/unmatched/1/candidates?q=x", None),
    ("POST", "/admin/bookings/1/link", {"user_id": "1"}),
    ("GET", "/admin/webhooks", None),
    ("POST", "/admin/webhooks/1/replay", {}),
    ("GET", "/admin/members", None),
    ("GET", "/admin/members/1", None),
    ("POST", "/admin/members/1/points", {"amount": "10", "reason": "gift"}),
    ("POST", "/admin/members/1/redemptions", {"points": "10", "reason": "checkout"}),
    ("POST", "/admin/redemptions/1/capture", {}),
    ("POST", "/admin/redemptions/1/cancel", {"reason": "asked at the desk"}),
    ("GET", "/admin/checkout", None),
    ("GET", "/admin/checkout?date=2030-01-15&state=CAPTURED", None),
    ("POST", "/admin/sync", {}),
    ("GET", "/admin/sync-runs?ids=1", None),
    ("GET", "/admin/settings", None),
    ("GET", "/admin/salons", None),
    ("POST", "/admin/salons", {"company_id": "700001", "name": "Salon"}),
    ("POST", "/admin/salons/1/status", {"status": "paused"}),
    ("POST", "/admin/salons/1/rotate", {}),
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
    if method == "POST" and form is not None and "once" not in form:
        form = {**form, "once": uuid.uuid4().hex}  # the page's one-time key (a new form)
    return await client.request(method, path, data=form, headers=headers)


# Reachable without a session: the sign-in form itself, and the static files (CSS, htmx).
PUBLIC_ROUTES = {("GET", "/admin/login"), ("POST", "/admin/login"), ("GET", "/admin/static/")}


def _pattern(route_path: str) -> re.Pattern[str]:
    """`/admin/members/{user_id:int}` → a pattern a concrete path of it matches."""
    parts = re.split(r"\{[^}]+\}", route_path.rstrip("/") or "/")
    return re.compile("^" + "[^/]+".join(re.escape(p) for p in parts) + "/?$")


def test_every_console_route_is_listed(api: Api) -> None:
    """The app's own routes under /admin: a new route missing from CONSOLE_ROUTES fails here,
    so the stranger/non-admin tests below cannot miss it."""
    from litestar.routes import HTTPRoute

    from src.entrypoints.asgi import create_app

    app = create_app(api.container)
    served = {
        (method, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute) and route.path.startswith("/admin")
        for method in route.methods - {"HEAD", "OPTIONS"}
    }
    assert len(served) > 10, served
    listed = [(m, p.split("?")[0]) for m, p, _ in CONSOLE_ROUTES]
    unlisted = {
        (method, path)
        for method, path in served - PUBLIC_ROUTES
        if not path.startswith("/admin/static")
        and not any(m == method and _pattern(path).match(p) for m, p in listed)
    }
    assert not unlisted, f"console routes missing from CONSOLE_ROUTES: {sorted(unlisted)}"


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
    from src.entrypoints.asgi import create_app
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
        checkout = (await client.get("/admin/checkout?date=2030-01-15")).text
        assert "Checkout for 2030-01-15" in checkout  # titled by the chosen day
        assert "Касса" not in checkout
        member = (await client.get(f"/admin/members/{admin.id}")).text
        assert "Redeem points" in member and "verified" in member


async def test_sign_in_is_throttled_like_the_api(api: Api, pg_url: str) -> None:
    from src.entrypoints.asgi import create_app
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


async def _held_booking(
    api: Api, points: str = "300", at: datetime | None = None, phone: str = "+7 916 111-22-33"
) -> tuple[Member, Booking, int]:
    """A member with 1000 points holding `points` on a visit two hours from now (or `at`),
    linked by their client code: (member, booking, redemption id)."""
    member = await api.member(name="Ирина", phone=phone)
    await api.container.adjust_points(member.id, Decimal(1000), "gift", member.id)
    code = (await api.container.issue_booking_form(member.id)).unique_code
    record = api.record(
        comment=comment_line(code),
        at=at or datetime.now(UTC) + timedelta(hours=2),
        price="3000.00",
    )
    await api.ingest(record)
    booking = await api.booking(record.record_id)
    assert booking.id is not None and booking.user_id == member.id
    held = await api.container.hold_points(member.id, booking.id, Decimal(points))
    assert held.id is not None
    return member, booking, held.id


async def test_checkout_lists_the_days_holds_with_the_points_to_deduct(api: Api) -> None:
    await _signed_in(api)
    member, booking, redemption_id = await _held_booking(api)
    day = booking.local_appointment_at.date()
    page = await api.client.get(f"/admin/checkout?date={day.isoformat()}")
    assert page.status_code == 200, page.text
    row = re.search(rf'<tr class="line" id="redemption-{redemption_id}".*?</tr>', page.text, re.S)
    assert row, page.text
    assert "Ирина" in row.group(0) and "+7 916 111-22-33" in row.group(0)
    assert "300,00" in row.group(0) and "3\u202f000,00" in row.group(0)  # the salon's money
    assert booking.local_appointment_at.strftime("%H:%M") in row.group(0)
    assert f'href="/admin/members/{member.id}"' in row.group(0)
    assert day.strftime("%d.%m.%Y") in page.text  # the salon's date format
    assert 'id="checkout-total">300,00<' in page.text
    next_day = (day + timedelta(days=1)).isoformat()
    other_day = await api.client.get(f"/admin/checkout?date={next_day}")
    assert f"redemption-{redemption_id}" not in other_day.text
    captured = await api.client.get(f"/admin/checkout?date={day.isoformat()}&state=captured")
    assert f"redemption-{redemption_id}" not in captured.text


async def test_checkout_defaults_to_today_and_refuses_a_bad_date(api: Api) -> None:
    await _signed_in(api)
    page = await api.client.get("/admin/checkout")
    assert page.status_code == 200, page.text
    today = datetime.now(ZoneInfo(api.container.settings.ADMIN_TIMEZONE)).date()
    assert today.strftime("%d.%m.%Y") in page.text
    # Titled by the day, marked as today; the nav links it.
    assert f"Касса на {today:%d.%m.%Y} <small>сегодня</small>" in page.text
    assert 'href="/admin/checkout"' in page.text
    bad = await api.client.get("/admin/checkout?date=2030-02-30")
    assert bad.status_code == 400, bad.text


async def test_checkout_is_paginated(api: Api) -> None:
    await _signed_in(api)
    member = await api.member()
    await api.container.adjust_points(member.id, Decimal(100_000), "gift", member.id)
    code = (await api.container.issue_booking_form(member.id)).unique_code
    at = datetime(2031, 3, 10, 9, 0, tzinfo=UTC)
    for i in range(22):
        record = api.record(comment=comment_line(code), at=at + timedelta(minutes=10 * i))
        await api.ingest(record)
        booking = await api.booking(record.record_id)
        assert booking.id is not None
        await api.container.hold_points(member.id, booking.id, Decimal(10 + i))
    first = (await api.client.get("/admin/checkout?date=2031-03-10")).text
    assert first.count('<tr class="line"') == 20 and "1–20 из 22" in first
    assert "offset=20" in first
    second = (await api.client.get("/admin/checkout?date=2031-03-10&state=HELD&offset=20")).text
    assert second.count('<tr class="line"') == 2
    assert "09:00" in first and "12:30" in second  # earliest first
    assert 'id="checkout-total">451,00<' in second  # every line's points, not the page's


async def test_redeeming_points_on_the_member_page(api: Api) -> None:
    await _signed_in(api)
    member, _, _ = await _held_booking(api, points="200")
    url = f"/admin/members/{member.id}/redemptions"
    # Not on the held visit (issue 20: its hold is captured instead), without a visit.
    form = {"points": "150,50", "reason": "оплата визита"}
    done = await request(api.client, "POST", url, form)
    assert done.status_code in (302, 303), done.text
    assert done.headers["location"] == f"/admin/members/{member.id}"
    page = (await api.client.get(done.headers["location"])).text
    assert "Списано баллов: 150,50" in page
    assert "649,50" in page  # 1000 − 200 held − 150.50
    assert (await api.container.profile(member.id)).account.balance == Decimal("649.50")
    # HTMX: the same answer as a client redirect, the message on the page it goes to.
    htmx = await api.client.post(
        url, data={"points": "1", "reason": "r", "once": uuid.uuid4().hex},
        headers={"HX-Request": "true", "x-csrftoken": await csrf_token(api.client)},
    )  # fmt: skip
    assert htmx.status_code == 200 and htmx.headers["HX-Redirect"] == f"/admin/members/{member.id}"
    assert "Списано баллов: 1,00" in (await api.client.get(f"/admin/members/{member.id}")).text


async def test_capture_at_checkout_and_on_the_member_page(api: Api) -> None:
    """Issue 20 item 1: staff capture a hold with one action; the member can no longer take
    it back; a visit completed at its full price with its hold captured is flagged."""
    await _signed_in(api)
    now = datetime.now(UTC)
    member, booking, redemption_id = await _held_booking(api, at=now - timedelta(minutes=1))
    day = booking.local_appointment_at.date().isoformat()
    page = (await api.client.get(f"/admin/checkout?date={day}")).text
    assert f'action="/admin/redemptions/{redemption_id}/capture"' in page
    back = f"/admin/checkout?date={day}&state=HELD&offset=0"
    done = await request(
        api.client, "POST", f"/admin/redemptions/{redemption_id}/capture", {"back": back}
    )
    assert done.status_code in (302, 303) and done.headers["location"] == back, done.text
    assert "Резерв списан: 300,00" in (await api.client.get(back)).text
    [r] = (await api.container.list_redemptions(member.id, 10, 0)).items
    assert r.state.value == "CAPTURED" and r.captured_by is not None
    again = await request(api.client, "POST", f"/admin/redemptions/{redemption_id}/capture", {})
    assert "is CAPTURED" in (await api.client.get(again.headers["location"])).text
    # Completed at its full price: flagged.
    record = api.record(
        booking.record_id, comment=booking.comment, at=booking.appointment_at,
        price="3000.00", status=BookingStatus.COMPLETED,
    )  # fmt: skip
    await api.ingest(record)
    page = (await api.client.get(f"/admin/checkout?date={day}")).text
    assert f'id="flagged-{redemption_id}"' in page and "Скидка не введена?" in page
    # The member page: a held visit's capture button.
    other, _, held_id = await _held_booking(
        api, at=now - timedelta(minutes=1), phone="+7 916 111-22-44"
    )
    page = (await api.client.get(f"/admin/members/{other.id}")).text
    assert f'action="/admin/redemptions/{held_id}/capture"' in page
    done = await request(
        api.client, "POST", f"/admin/redemptions/{held_id}/capture",
        {"back": f"/admin/members/{other.id}"},
    )  # fmt: skip
    assert done.headers["location"] == f"/admin/members/{other.id}"
    assert (
        f'action="/admin/redemptions/{held_id}/capture"'
        not in (await api.client.get(f"/admin/members/{other.id}")).text
    )


@pytest.mark.parametrize(
    ("form", "says"),
    [
        ({"points": "5000", "reason": "too much"}, "Больше, чем на балансе"),
        ({"points": "abc", "reason": "r"}, "Введите число"),
        ({"points": "-5", "reason": "r"}, "Должно быть больше нуля"),
        ({"points": "5", "reason": "  "}, "Заполните это поле"),
        ({"points": "5", "reason": "r", "booking_id": "999999"}, "У клиента нет такого визита"),
        ({"points": "5", "reason": "r", "booking_id": "x"}, "У клиента нет такого визита"),
    ],
)
async def test_a_refused_redemption_says_why_and_spends_nothing(
    api: Api, form: dict[str, str], says: str
) -> None:
    await _signed_in(api)
    member = await api.member()
    await api.container.adjust_points(member.id, Decimal(1000), "gift", member.id)
    refused = await request(api.client, "POST", f"/admin/members/{member.id}/redemptions", form)
    assert refused.status_code in (302, 303), refused.text
    page = (await api.client.get(refused.headers["location"])).text
    assert 'class="field-error"' in page and says in page, page  # next to its field
    assert (await api.container.profile(member.id)).account.balance == Decimal(1000)


async def test_a_redemption_without_its_csrf_token_is_rejected(api: Api) -> None:
    await _signed_in(api)
    member = await api.member()
    await api.container.adjust_points(member.id, Decimal(1000), "gift", member.id)
    response = await api.client.post(
        f"/admin/members/{member.id}/redemptions", data={"points": "10", "reason": "forged"}
    )
    assert response.status_code == 403
    assert (await api.container.profile(member.id)).account.balance == Decimal(1000)


async def test_the_member_page_marks_verified_contacts(api: Api) -> None:
    await _signed_in(api)
    verified = await api.member(phone="+7 916 000-00-01")
    unverified = await api.member(phone="+7 916 000-00-02", verified=False)
    shown = (await api.client.get(f"/admin/members/{verified.id}")).text
    for contact in ("email", "phone"):
        line = re.search(rf'<p id="{contact}">.*?</p>', shown, re.S)
        assert line and "badge verified" in line.group(0) and "подтверждён" in line.group(0)
    shown = (await api.client.get(f"/admin/members/{unverified.id}")).text
    assert "badge verified" not in shown


async def test_sync_now_polls_its_runs_until_they_end_or_says_why_it_could_not(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _signed_in(api)
    queued: list[int] = []

    async def hold_sync(company_id: int, trigger: str, run_id: int | None = None) -> None:
        queued.append(company_id)  # no worker here: the run stays QUEUED until the test ends it

    monkeypatch.setattr(api.container.queue, "sync_company", hold_sync)
    headers = {"HX-Request": "true", "x-csrftoken": await csrf_token(api.client)}
    started = await api.client.post("/admin/sync", headers=headers, data={"once": "sync-key-1"})
    assert started.status_code == 200, started.text
    ids = re.search(r'hx-get="/admin/sync-runs\?ids=([0-9,]+)" hx-trigger="every 1s"', started.text)
    assert ids, started.text
    assert "Синхронизация идёт" in started.text and 'data-status="QUEUED"' in started.text
    assert queued, "the sync was handed to the queue"
    async with api.engine.begin() as conn:  # what the worker does: the run ends
        await conn.execute(
            text(
                "UPDATE sync_runs SET status = 'SUCCEEDED', finished_at = started_at"
                " + interval '1.5 seconds' WHERE id = ANY(:ids)"
            ),
            {"ids": [int(i) for i in ids.group(1).split(",")]},
        )
    ended = await api.client.get(f"/admin/sync-runs?ids={ids.group(1)}", headers=headers)
    assert "Синхронизация завершена" in ended.text and 'data-status="SUCCEEDED"' in ended.text
    assert "every 1s" not in ended.text and "1,5 с" in ended.text  # stops polling
    api.container.switches.yclients_enabled = False
    try:
        refused = await api.client.post("/admin/sync", headers=headers, data={"once": "sync-key-2"})
    finally:
        api.container.switches.yclients_enabled = True
    assert refused.status_code == 200
    assert 'role="alert"' in refused.text and "Не получилось" in refused.text
    assert "every 1s" not in refused.text  # nothing to follow


async def test_a_refused_replay_says_why(api: Api) -> None:
    await _signed_in(api)
    refused = await request(api.client, "POST", "/admin/webhooks/999999/replay", {})
    assert refused.status_code in (302, 303), refused.text
    page = (await api.client.get(refused.headers["location"])).text
    assert 'class="flash bad"' in page and "Не получилось" in page and "999999" in page
