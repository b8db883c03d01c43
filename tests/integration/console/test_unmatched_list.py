"""Issue 23 item 5, in Chromium against the running app: the unmatched list as the desk's
to-do list: its filters (cancelled and missed visits hidden until "all"), "not a member"
hiding every booking of that client until put back, a suggested member linked from the
list and the link undone, without leaving the list."""

from __future__ import annotations

import itertools
import re

from playwright.sync_api import Page, expect

from tests.integration.console.conftest import Console, shot
from tests.integration.console.test_browser import sign_in

_n = itertools.count(1)
TIMEOUT = 20_000  # ms: webhooks are processed in the app's process, on a busy machine
PHONE = {"width": 390, "height": 844}


def _admin(console: Console) -> str:
    email = f"todo-boss{next(_n)}@example.com"
    console.register(email, admin=True, name="Администратор")
    return email


def _visit(
    console: Console,
    record_id: int,
    *,
    at: str,
    phone: str = "",
    email: str = "",
    name: str = "Гость",
) -> int:
    """A visit in "YClients" (the simulator) with the client's phone; waits until the app
    stored it (its webhook is processed in the app) and returns the booking's id."""
    body = {
        "id": record_id, "company_id": 873456, "comment": "", "datetime": at,
        "client": {"name": name, "phone": phone, "email": email},
        "services": [{"title": "Маникюр", "cost": 2500}], "staff_name": "Ирина",
    }  # fmt: skip
    r = console.http.post(f"{console.stack.sim}/_control/records", json=body)
    assert r.status_code == 201, r.text
    [(booking_id,)] = console.wait_sql(
        "SELECT id FROM bookings WHERE yclients_record_id = :r", r=record_id
    )
    return int(booking_id)


def _no_show(console: Console, record_id: int) -> None:
    r = console.http.patch(
        f"{console.stack.sim}/_control/records/873456/{record_id}", json={"attendance": -1}
    )
    assert r.status_code == 200, r.text
    console.wait_sql(
        "SELECT id FROM bookings WHERE yclients_record_id = :r AND status = 'NO_SHOW'",
        r=record_id,
    )


def _card(page: Page, booking_id: int):  # type: ignore[no-untyped-def]
    return page.locator(f"#booking-{booking_id}")


def test_filters_hide_cancelled_visits_until_all(page: Page, console: Console) -> None:
    n = next(_n)
    coming = _visit(console, 9_400_000 + n, at="2030-02-01T11:00:00+03:00",
                    email=f"coming{n}@example.com")  # fmt: skip
    missed = _visit(console, 9_400_100 + n, at="2030-02-02T11:00:00+03:00",
                    email=f"missed{n}@example.com")  # fmt: skip
    _no_show(console, 9_400_100 + n)
    sign_in(page, console, _admin(console))
    page.goto(f"{console.admin_url}/unmatched")
    expect(_card(page, coming)).to_be_visible()
    expect(_card(page, missed)).to_have_count(0)  # hidden by default
    page.get_by_role("link", name="Все, сначала новые").click()
    expect(page).to_have_url(re.compile(r"/admin/unmatched\?show=all$"))
    expect(_card(page, missed)).to_be_visible()
    expect(_card(page, missed)).to_contain_text("Не пришёл")
    page.get_by_role("link", name="Сегодня и дальше, без отменённых").click()
    expect(_card(page, missed)).to_have_count(0)


def test_not_a_member_hides_the_clients_cards_until_put_back(page: Page, console: Console) -> None:
    n = next(_n)
    phone = f"+7 916 333-{n:02d}-02"
    first = _visit(console, 9_410_000 + n, at="2030-02-03T10:00:00+03:00", phone=phone)
    second = _visit(console, 9_410_100 + n, at="2030-02-04T10:00:00+03:00",
                    phone=f"8 (916) 333 {n:02d} 02")  # fmt: skip
    other = _visit(console, 9_410_200 + n, at="2030-02-05T10:00:00+03:00",
                   email=f"other{n}@example.com")  # fmt: skip
    sign_in(page, console, _admin(console))
    page.goto(f"{console.admin_url}/unmatched")
    expect(_card(page, second)).to_be_visible()
    _card(page, first).get_by_role("button", name="Не участник — скрыть").click()
    expect(page.get_by_role("status").first).to_contain_text("Клиент скрыт")
    expect(page).to_have_url(re.compile(r"/admin/unmatched$"))  # still the list
    expect(_card(page, first)).to_have_count(0)
    expect(_card(page, second)).to_have_count(0)  # the same client's other booking too
    expect(_card(page, other)).to_be_visible()
    page.get_by_role("link", name="Скрытые: не участники").click()
    expect(_card(page, first)).to_be_visible()
    expect(_card(page, second)).to_be_visible()
    expect(_card(page, other)).to_have_count(0)
    shot(page, "unmatched-hidden")
    _card(page, second).get_by_role("button", name="Вернуть в список").click()
    expect(page.get_by_role("status").first).to_contain_text("снова в списке")
    expect(page).to_have_url(re.compile(r"/admin/unmatched\?show=hidden$"))
    expect(_card(page, first)).to_have_count(0)
    page.get_by_role("link", name="Сегодня и дальше, без отменённых").click()
    expect(_card(page, first)).to_be_visible()
    expect(_card(page, second)).to_be_visible()


def test_link_a_suggested_member_then_undo(page: Page, console: Console) -> None:
    n = next(_n)
    name = f"Анна {n}"
    member_id = console.register(f"anna{n}@example.com", name=name, phone=f"+7 916 333-{n:02d}-01")
    booking = _visit(console, 9_420_000 + n, at="2030-01-20T12:30:00+03:00",
                     phone=f"8 916 333-{n:02d}-01", name="Анна")  # fmt: skip
    sign_in(page, console, _admin(console))
    page.goto(f"{console.admin_url}/unmatched")
    card = _card(page, booking)
    suggestion = card.locator("li.suggestion", has_text=name)
    expect(suggestion).to_contain_text("телефон совпадает, но не подтверждён")
    shot(page, "unmatched")
    suggestion.get_by_role("button", name="Привязать").click()
    row = _card(page, booking)
    expect(row).to_contain_text(f"привязана к {name}", timeout=TIMEOUT)
    expect(page).to_have_url(re.compile(r"/admin/unmatched$"))  # the list stays
    assert console.sql("SELECT user_id FROM bookings WHERE id = :id", id=booking) == [(member_id,)]
    shot(page, "unmatched-linked")
    row.get_by_role("button", name="Отменить").click()
    card = _card(page, booking)
    expect(card).to_contain_text("отменена", timeout=TIMEOUT)
    expect(card.locator("li.suggestion", has_text=name)).to_be_visible()  # linkable again
    assert console.sql("SELECT user_id FROM bookings WHERE id = :id", id=booking) == [(None,)]


def test_the_list_fits_a_phone(page: Page, console: Console) -> None:
    n = next(_n)
    _visit(console, 9_430_000 + n, at="2030-01-21T09:00:00+03:00",
           phone=f"+7 916 333-{n:02d}-03", email=f"phone{n}@example.com")  # fmt: skip
    page.set_viewport_size(PHONE)
    sign_in(page, console, _admin(console))
    page.goto(f"{console.admin_url}/unmatched")
    expect(page.locator("section.booking").first).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, width
    shot(page, "unmatched-phone")
