"""Issue 23: the console as the front desk's daily tool, in Chromium against the running app:
the Сегодня start page, checkout with capture and staff cancellation, the phone layout."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.integration.console.conftest import Console, shot

_n = itertools.count(1)
TIMEOUT = 20_000  # ms: webhooks are processed in the app's process, on a busy machine
PHONE = {"width": 390, "height": 844}


@dataclass
class Hold:
    member_id: int
    name: str
    record_id: int
    redemption_id: int


def _admin(console: Console) -> str:
    email = f"desk{next(_n)}@example.com"
    console.register(email, admin=True, name="Администратор")
    return email


def _today() -> date:
    return datetime.now(ZoneInfo("Europe/Moscow")).date()  # the salon's (ADMIN_TIMEZONE) day


def _hold(console: Console, boss: str, at: str, price: int, points: int) -> Hold:
    """A member with 1000 points booked today at `at` (salon time) through the app's booking
    form, holding `points` on the visit."""
    n = next(_n)
    email, name = f"desk-member{n}@example.com", f"Светлана {n}"
    member_id = console.register(email, name=name, phone=f"+7 916 444-{n:02d}-00")
    gift = console.http.post(
        f"{console.stack.api}/api/v1/admin/users/{member_id}/points",
        json={"amount": "1000", "reason": "подарок"}, headers=console.token(boss),
    )  # fmt: skip
    assert gift.status_code == 201, gift.text
    member = console.token(email)
    form = console.http.get(f"{console.stack.api}/api/v1/booking/form", headers=member)
    record_id = 9_800_000 + n
    console.record(
        record_id, email=f"desk-client{n}@example.com", price=price, completed=False,
        comment=form.json()["comment"], at=f"{_today().isoformat()}T{at}:00+03:00",
    )  # fmt: skip
    [(booking_id,)] = console.wait_sql(
        "SELECT id FROM bookings WHERE yclients_record_id = :r AND user_id = :u",
        r=record_id, u=member_id,
    )  # fmt: skip
    held = console.http.post(
        f"{console.stack.api}/api/v1/loyalty/redemptions",
        json={"booking_id": booking_id, "points": str(points)}, headers=member,
    )  # fmt: skip
    assert held.status_code == 201, held.text
    return Hold(member_id, name, record_id, int(held.json()["id"]))


def _sign_in(page: Page, console: Console, email: str) -> None:
    from tests.integration.console.conftest import PASSWORD

    page.goto(console.admin_url)
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.get_by_label("Эл. почта").fill(email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()


def _state(console: Console, redemption_id: int) -> str:
    rows = console.sql("SELECT state FROM loyalty_redemptions WHERE id = :id", id=redemption_id)
    return str(rows[0][0])


def test_today_is_the_start_page_with_what_to_do_at_checkout(page: Page, console: Console) -> None:
    boss = _admin(console)
    hold = _hold(console, boss, "11:00", price=3000, points=600)
    walk_in = 9_810_000 + next(_n)
    console.record(
        walk_in, email=f"walkin{walk_in}@example.com", price=1500, completed=False,
        at=f"{_today().isoformat()}T15:30:00+03:00",
    )  # fmt: skip
    console.wait_sql("SELECT id FROM bookings WHERE yclients_record_id = :r", r=walk_in)
    _sign_in(page, console, boss)
    expect(page.get_by_role("heading", name="Сегодня")).to_contain_text(
        _today().strftime("%d.%m.%Y")
    )
    row = page.locator("tr.visit", has_text=hold.name)
    expect(row).to_contain_text("11:00")
    expect(row).to_contain_text("Анна Смирнова")  # the master
    expect(row).to_contain_text("Маникюр")
    expect(row).to_contain_text("Участник")
    expect(row.locator(".balance")).to_have_text("400,00")  # 1000 less the 600 held
    expect(row.locator(".points")).to_have_text("600,00")
    expect(row.locator(".to-pay")).to_have_text("2\u202f400,00\u00a0₽")
    stranger = page.locator("tr.visit", has_text="15:30")
    expect(stranger).to_contain_text("не участник")
    expect(stranger.locator(".to-pay")).to_have_text("1\u202f500,00\u00a0₽")
    shot(page, "today")
    # The owner's overview moved to its own page, linked in the menu.
    page.get_by_role("link", name="Обзор").click()
    expect(page.get_by_role("heading", name="Обзор")).to_contain_text("для владельца")
    page.get_by_role("link", name="Сегодня").click()
    # Capture from the start page: the row says so, nothing is left to deduct.
    row.get_by_role("button", name="Списать резерв").click()
    expect(page.get_by_role("status")).to_contain_text("Резерв списан: 600,00", timeout=TIMEOUT)
    expect(row.locator(".points")).to_have_text("0,00")
    expect(row).to_contain_text("Списаны при оплате")
    assert _state(console, hold.redemption_id) == "CAPTURED"


def test_checkout_capture_and_staff_cancellation_with_a_reason(
    page: Page, console: Console
) -> None:
    boss = _admin(console)
    paid = _hold(console, boss, "12:00", price=2000, points=500)
    changed_mind = _hold(console, boss, "13:00", price=4000, points=800)
    _sign_in(page, console, boss)
    page.get_by_role("link", name="Касса", exact=True).click()
    expect(page.get_by_role("heading", name=f"Касса на {_today():%d.%m.%Y}")).to_be_visible()
    line = page.locator(f"#redemption-{paid.redemption_id}")
    expect(line.locator(".points")).to_have_text("500,00")
    expect(line.locator(".to-pay")).to_have_text("1\u202f500,00\u00a0₽")  # the К оплате column
    expect(page.locator("#checkout th", has_text="К оплате")).to_be_visible()
    # Cancel without a reason: refused, the reason's field says why and keeps the form open.
    other = page.locator(f"#redemption-{changed_mind.redemption_id}")
    other.get_by_text("Отменить резерв").first.click()  # opens the form
    other.get_by_role("button", name="Отменить резерв").click()
    other = page.locator(f"#redemption-{changed_mind.redemption_id}")
    error = other.locator(f"#cancel-{changed_mind.redemption_id}-reason-error")
    expect(error).to_have_text("Заполните это поле", timeout=TIMEOUT)
    expect(other.get_by_label("Причина отмены")).to_have_attribute("aria-invalid", "true")
    shot(page, "checkout-cancel-error")
    assert _state(console, changed_mind.redemption_id) == "HELD"
    other.get_by_label("Причина отмены").fill("клиент платит картой без баллов")
    other.get_by_role("button", name="Отменить резерв").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Резерв отменён, баллы вернулись клиенту: 800,00", timeout=TIMEOUT
    )
    expect(page.locator(f"#redemption-{changed_mind.redemption_id}")).to_have_count(0)
    assert _state(console, changed_mind.redemption_id) == "RELEASED"
    [(actor, reason)] = console.sql(
        "SELECT actor_id, reason FROM loyalty_transactions WHERE redemption_id = :r"
        " AND kind = 'RELEASE'", r=changed_mind.redemption_id,
    )  # fmt: skip
    assert "клиент платит картой без баллов" in reason and actor is not None
    # Capture the other one: it leaves the list of holds.
    line.get_by_role("button", name="Списать резерв").click()
    expect(page.get_by_role("status")).to_contain_text("Резерв списан: 500,00", timeout=TIMEOUT)
    expect(page.locator(f"#redemption-{paid.redemption_id}")).to_have_count(0)
    shot(page, "checkout")
    # The given-back list says what happened to each.
    page.locator("nav.filters").get_by_text("Возвращены", exact=True).click()
    expect(page.locator(f"#redemption-{changed_mind.redemption_id}")).to_contain_text(
        "Резерв отменён администратором"
    )
    shot(page, "checkout-released")
    # The member card: the balance is back, a cancellation is offered there too.
    page.goto(f"{console.admin_url}/members/{changed_mind.member_id}")
    expect(page.locator("#balance")).to_have_text("1\u202f000,00")


def test_checkout_refreshes_itself(page: Page, console: Console) -> None:
    boss = _admin(console)
    _sign_in(page, console, boss)
    page.goto(f"{console.admin_url}/checkout")
    expect(page.locator("#checkout-list")).to_have_attribute("hx-trigger", re.compile("every"))
    hold = _hold(console, boss, "16:00", price=1000, points=100)
    # No reload: what the poll does (its request, its swap), run now rather than in 30 s.
    page.evaluate("htmx.ajax('GET', document.querySelector('#checkout-list')"
                  ".getAttribute('hx-get'), {target: '#checkout-list', select: '#checkout-list',"
                  " swap: 'outerHTML'})")  # fmt: skip
    expect(page.locator(f"#redemption-{hold.redemption_id}")).to_be_visible(timeout=TIMEOUT)


def test_on_a_phone_the_points_and_the_amount_to_pay_show_without_scrolling(
    page: Page, console: Console
) -> None:
    boss = _admin(console)
    hold = _hold(console, boss, "17:45", price=2500, points=300)
    page.set_viewport_size(PHONE)
    _sign_in(page, console, boss)
    nav = page.locator("header nav")
    expect(nav).to_be_visible()
    links = nav.get_by_role("link")
    tops = {round(links.nth(i).bounding_box()["y"]) for i in range(links.count())}  # type: ignore[index]
    assert len(tops) == 1, tops  # the menu is one row
    for path, cell in [
        ("", f"#visit-{_booking(console, hold)} .points"),
        ("/checkout", f"#redemption-{hold.redemption_id} .points"),
    ]:
        page.goto(console.admin_url + path)
        for selector in (cell, cell.replace(".points", ".to-pay")):
            box = page.locator(selector).bounding_box()
            assert box is not None, selector
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (selector, box)
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
        shot(page, "today-phone" if path == "" else "checkout-phone")
    page.goto(f"{console.admin_url}/members/{hold.member_id}")
    expect(page.locator("#balance")).to_have_text("700,00")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    shot(page, "member-phone")


def _booking(console: Console, hold: Hold) -> int:
    [(booking_id,)] = console.sql(
        "SELECT id FROM bookings WHERE yclients_record_id = :r", r=hold.record_id
    )
    return int(booking_id)
