"""Errors in the console: a console page in the console's language with a way back (never
the API's JSON), and a refused form's reason next to its field with what was typed kept."""

from __future__ import annotations

import re
from decimal import Decimal

import httpx
import pytest

from src.application.errors import AppError, GatewayError
from tests.integration.http.conftest import Api
from tests.integration.http.test_console import csrf_token, request, sign_in
from tests.integration.http.test_console_words import codes_in, visible_text


async def _signed_in(api: Api) -> None:
    admin = await api.admin()
    assert (await sign_in(api.client, admin.user.email)).status_code in (302, 303)


def assert_console_page(response: httpx.Response, status: int, says: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html"), response.text
    assert not response.text.lstrip().startswith("{"), response.text
    assert '<html lang="ru">' in response.text
    assert re.search(r'<a href="/admin[^"]*" class="back">← Вернуться</a>', response.text)
    shown = visible_text(response.text)
    assert says in shown, shown
    assert not codes_in(response.text)
    return shown


async def test_an_unknown_console_address_is_a_console_page(api: Api) -> None:
    await _signed_in(api)
    shown = assert_console_page(
        await api.client.get("/admin/no-such-page"), 404, "Страница не найдена"
    )
    assert "Not Found" not in shown
    # Signed out too (no route, so no session): still a page, not JSON.
    async with httpx.AsyncClient(
        transport=api.client._transport, base_url="http://testserver"
    ) as c:  # type: ignore[attr-defined]
        assert_console_page(await c.get("/admin/nope/nope"), 404, "Страница не найдена")
    # The API keeps its JSON.
    api_404 = await api.client.get("/api/v1/no-such-thing")
    assert api_404.status_code == 404 and api_404.json()["error"]["code"] == "not_found"


async def test_a_cleared_date_is_a_console_page_naming_the_date(api: Api) -> None:
    await _signed_in(api)
    shown = assert_console_page(
        await api.client.get("/admin/checkout?date=", headers={"referer": "http://testserver/admin/checkout?date=2030-01-15"}),
        400, "Дата: выберите дату в календаре",
    )  # fmt: skip
    assert "2030-01-15" not in shown
    page = (await api.client.get("/admin/checkout?date=2030-02-30")).text
    assert 'href="/admin/checkout?date=2030-01-15"' not in page  # no referer: back to start
    assert 'class="back"' in page


async def test_a_101_character_search_is_a_console_page(api: Api) -> None:
    await _signed_in(api)
    assert_console_page(
        await api.client.get("/admin/members", params={"q": "я" * 101}),
        400, "Поиск: не длиннее 100 символов",
    )  # fmt: skip
    candidates = await api.client.get(
        "/admin/unmatched/1/candidates", params={"q": "x" * 101}, headers={"HX-Request": "true"}
    )
    # HTMX swaps only 2xx answers: the message alone, in Russian.
    assert candidates.status_code == 200 and 'role="alert"' in candidates.text
    assert "Поиск: не длиннее 100 символов" in candidates.text


async def test_yclients_down_is_a_console_page(api: Api) -> None:
    await _signed_in(api)

    async def down(*args: object, **kwargs: object) -> None:
        raise GatewayError("yclients: 503 Service Unavailable after 3 tries")

    api.container.request_sync = down  # type: ignore[assignment,method-assign]
    response = await request(api.client, "POST", "/admin/sync", {})
    shown = assert_console_page(response, 502, "YClients не отвечает")
    assert "503 Service Unavailable" not in shown and "yclients_error" not in shown


async def test_an_unexpected_error_is_a_console_page(api: Api) -> None:
    await _signed_in(api)

    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom: SELECT secret FROM users")

    api.container.unmatched_todo = broken  # type: ignore[assignment,method-assign]
    shown = assert_console_page(
        await api.client.get("/admin/unmatched"), 500, "Что-то пошло не так"
    )
    assert "boom" not in shown and "SELECT" not in shown


@pytest.mark.parametrize(
    ("form", "field", "says"),
    [
        ({"points": "5000", "reason": "за визит"}, "points", "Больше, чем на балансе (1\u202f000,00)"),  # noqa: E501
        ({"points": "abc", "reason": "за визит"}, "points", "Введите число"),
        ({"points": "0", "reason": "за визит"}, "points", "Должно быть больше нуля"),
        ({"points": "5", "reason": "  "}, "reason", "Заполните это поле"),
        ({"points": "5", "reason": "за визит", "booking_id": "999999"}, "booking_id", "У клиента нет такого визита"),  # noqa: E501
    ],
)  # fmt: skip
async def test_a_refused_redemption_is_explained_next_to_its_field_and_keeps_what_was_typed(
    api: Api, form: dict[str, str], field: str, says: str
) -> None:
    await _signed_in(api)
    member = await api.member()
    await api.container.adjust_points(member.id, Decimal(1000), "gift", member.id)
    refused = await request(api.client, "POST", f"/admin/members/{member.id}/redemptions", form)
    assert refused.status_code in (302, 303), refused.text
    page = (await api.client.get(refused.headers["location"])).text
    note = re.search(
        rf'<span class="field-error" id="redeem-{field}-error" role="alert">([^<]*)</span>', page
    )
    assert note and says in note.group(1), page
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', page)
    for name in ("points", "reason"):  # what was typed is still there
        assert f'name="{name}"' in page
        value = re.search(
            rf'<input name="{name}"[^>]*value="([^"]*)"', page.split('class="redeem')[1]
        )
        assert value and value.group(1) == form[name], (name, page)
    assert 'class="flash bad"' not in page  # no English banner
    assert not codes_in(page)
    assert (await api.container.profile(member.id)).account.balance == Decimal(1000)
    again = (await api.client.get(f"/admin/members/{member.id}")).text
    assert "field-error" not in again  # said once


async def test_a_refused_adjustment_keeps_the_amount_and_reason(api: Api) -> None:
    await _signed_in(api)
    member = await api.member()
    url = f"/admin/members/{member.id}/points"
    refused = await request(api.client, "POST", url, {"amount": "12 abc", "reason": "подарок"})
    page = (await api.client.get(refused.headers["location"])).text
    assert 'id="adjust-amount-error"' in page and "Введите число" in page
    adjust = page.split('class="adjust')[1]
    assert 'value="12 abc"' in adjust and 'value="подарок"' in adjust


async def test_a_new_application_error_in_a_console_action_is_a_flash(api: Api) -> None:
    """Any AppError a use case raises in a console POST that said where to go back to is
    a flash over that page (one handler, no per-action try/except): not JSON, not a 500."""
    await _signed_in(api)

    class Unheard(AppError):
        code = "unheard"

    async def refuse(*args: object, **kwargs: object) -> None:
        raise Unheard("the till is closed for the night")

    api.container.capture_hold = refuse  # type: ignore[assignment,method-assign]
    form = {"back": "/admin/checkout?date=2030-01-15"}
    response = await request(api.client, "POST", "/admin/redemptions/1/capture", form)
    assert response.status_code in (302, 303), response.text
    assert response.headers["location"] == "/admin/checkout?date=2030-01-15"
    page = (await api.client.get(response.headers["location"])).text
    assert 'class="flash bad"' in page
    assert "Не получилось: the till is closed for the night" in visible_text(page)
    headers = {"HX-Request": "true", "x-csrftoken": await csrf_token(api.client)}
    htmx = await api.client.post("/admin/redemptions/1/capture", data=form, headers=headers)
    assert htmx.status_code == 200 and not htmx.text.lstrip().startswith("{"), htmx.text
    assert htmx.headers["HX-Redirect"] == "/admin/checkout?date=2030-01-15"
