"""Issue 20 item 2: console session fixation. The server-side session backend kept whatever
`admin_session` id the browser sent, so a planted id became the admin's signed-in session
(and survived a password change); anonymous requests each left a store entry behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import time_machine
from litestar import Litestar
from litestar.stores.memory import MemoryStore

from src.entrypoints.asgi import create_app
from src.entrypoints.console.app import SESSION_STORE
from tests.integration.http.conftest import NO_LIMIT, PASSWORD, Api, app_client, make_settings
from tests.integration.http.test_console import csrf_token, sign_in

PLANTED = "a" * 64  # what an attacker sets in the admin's browser (a subdomain, a shared PC)


def session_cookie(response: httpx.Response, name: str = "admin_session") -> str:
    header = next(c for c in response.headers.get_list("set-cookie") if c.startswith(name + "="))
    return header.split(";")[0].split("=", 1)[1]


def entries(app: Litestar) -> int:
    store = app.stores.get(SESSION_STORE)
    assert isinstance(store, MemoryStore)
    return len(store._store)


@pytest.fixture
async def app(api: Api) -> AsyncIterator[Litestar]:
    yield create_app(api.container, login_rate_limit=NO_LIMIT)


async def test_session_fixation_a_planted_id_never_becomes_the_admins_session(
    api: Api, app: Litestar
) -> None:
    admin = await api.admin()
    async with app_client(app) as victim, app_client(app) as attacker:
        victim.cookies.set("admin_session", PLANTED)
        signed = await sign_in(victim, admin.user.email)
        assert signed.status_code in (302, 303), signed.text
        issued = session_cookie(signed)
        assert issued != PLANTED and len(issued) == 64
        assert (await victim.get("/admin")).status_code == 200
        attacker.cookies.set("admin_session", PLANTED)
        stolen = await attacker.get("/admin")
        assert stolen.status_code in (302, 303)
        assert stolen.headers["location"].startswith("/admin/login")


async def test_session_fixation_signing_in_again_drops_the_old_id(api: Api, app: Litestar) -> None:
    admin = await api.admin()
    async with app_client(app) as client, app_client(app) as other:
        first = session_cookie(await sign_in(client, admin.user.email))
        second = session_cookie(await sign_in(client, admin.user.email))
        assert first != second
        other.cookies.set("admin_session", first)
        assert (await other.get("/admin")).status_code in (302, 303)
        assert entries(app) == 1


async def test_session_fixation_a_password_change_ends_the_console_session(
    api: Api, app: Litestar
) -> None:
    admin = await api.admin()
    async with app_client(app) as client:
        await sign_in(client, admin.user.email)
        assert (await client.get("/admin")).status_code == 200
        await api.container.change_password(admin.id, PASSWORD, "a-brand-new-password-42")
        ended = await client.get("/admin")
        assert ended.status_code in (302, 303)
        assert ended.headers["location"].startswith("/admin/login")
        assert entries(app) == 0  # ended, not just refused


async def test_session_fixation_a_sign_in_ends_after_admin_session_hours_however_busy(
    api: Api, pg_url: str
) -> None:
    """Absolute lifetime: used every 50 minutes (within the idle limit), it still ends."""
    admin = await api.admin()
    settings = make_settings(pg_url, ADMIN_SESSION_HOURS=2, ADMIN_SESSION_IDLE_MINUTES=60)
    app = create_app(api.container, settings, login_rate_limit=NO_LIMIT)
    async with app_client(app) as client:
        with time_machine.travel(0, tick=True) as traveller:
            traveller.move_to("2030-01-15T08:00:00+00:00")
            await sign_in(client, admin.user.email)
            for _ in range(2):  # 08:50, 09:40: still signed in
                traveller.shift(timedelta(minutes=50))
                assert (await client.get("/admin")).status_code == 200
            traveller.shift(timedelta(minutes=21))  # 10:01: two hours since sign-in
            assert (await client.get("/admin")).status_code in (302, 303)


async def test_session_fixation_an_idle_session_ends(api: Api, app: Litestar) -> None:
    admin = await api.admin()
    async with app_client(app) as client:
        with time_machine.travel(0, tick=True) as traveller:
            traveller.move_to("2030-01-15T08:00:00+00:00")
            await sign_in(client, admin.user.email)
            traveller.shift(timedelta(minutes=59))
            assert (await client.get("/admin")).status_code == 200
            traveller.shift(timedelta(minutes=61))  # ADMIN_SESSION_IDLE_MINUTES=60 by default
            assert (await client.get("/admin")).status_code in (302, 303)


async def test_session_fixation_anonymous_requests_create_no_store_entries(
    api: Api, app: Litestar
) -> None:
    """10,000 anonymous GETs added 5 MB to the store, never freed."""
    async with app_client(app) as client:
        token = await csrf_token(client)
        for _ in range(50):
            fresh = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
            async with fresh:
                assert (await fresh.get("/admin/login")).status_code == 200
                assert (await fresh.get("/admin")).status_code in (302, 303)
                assert (await fresh.get("/admin/members")).status_code in (302, 303)
        for _ in range(5):  # a wrong password, a planted cookie
            client.cookies.set("admin_session", PLANTED)
            wrong = {"email": "x@example.com", "password": "nope", "_csrf_token": token}
            assert (await client.post("/admin/login", data=wrong)).status_code == 401
    assert entries(app) == 0


async def test_session_fixation_the_cookie_is_host_prefixed_over_https(
    api: Api, pg_url: str
) -> None:
    admin = await api.admin()
    settings = make_settings(pg_url, APP_ENV="prod")
    app = create_app(api.container, settings, login_rate_limit=NO_LIMIT)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as client:
        client.cookies.set("admin_session", PLANTED)  # the plain name is not read at all
        signed = await sign_in(client, admin.user.email)
        assert signed.status_code in (302, 303), signed.text
        header = next(
            c
            for c in signed.headers.get_list("set-cookie")
            if c.startswith("__Host-admin_session=")
        )
        assert "Secure" in header and "Path=/;" in header + ";" and "Domain" not in header
        assert (await client.get("/admin")).status_code == 200
