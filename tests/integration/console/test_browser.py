"""What salon staff do in the console, done in Chromium against the running app."""

from __future__ import annotations

import itertools
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.integration.console.conftest import PASSWORD, Console, shot

_n = itertools.count(1)
TIMEOUT = 20_000  # ms: processing and syncs run in the app's process, on a busy machine


def admin(console: Console) -> str:
    email = f"boss{next(_n)}@example.com"
    console.register(email, admin=True, name="Администратор")
    return email


def sign_in(page: Page, console: Console, email: str, password: str = PASSWORD) -> None:
    page.goto(console.admin_url)
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.get_by_label("Эл. почта").fill(email)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()


def test_link_an_unmatched_booking_and_the_balance_changes(page: Page, console: Console) -> None:
    n = next(_n)
    member_email = f"maria{n}@example.com"
    member_id = console.register(member_email, name=f"Мария {n}", phone=f"+7 916 555-{n:02d}-00")
    console.record(9_100_000 + n, email=f"stranger{n}@example.com", price=2500, completed=True)
    console.wait_sql(
        "SELECT id FROM bookings WHERE yclients_record_id = :r AND status = 'COMPLETED'",
        r=9_100_000 + n,
    )
    sign_in(page, console, admin(console))
    page.goto(f"{console.admin_url}/unmatched")
    card = page.locator("section.booking", has_text=f"stranger{n}@example.com")
    expect(card).to_be_visible()
    expect(card).to_contain_text("не найдена у клиентов")  # the reason, in words
    # Click one: the search (typing is not a click); click two: Link.
    card.get_by_role("searchbox").fill(f"maria{n}@")
    card.get_by_role("button", name="Привязать").click()
    # The list stays: the card becomes a "linked — undo" row with the member's card a click away.
    row = page.locator("section.booking.linked", has_text=f"Мария {n}")
    expect(row.get_by_role("status")).to_contain_text("привязана", timeout=TIMEOUT)
    row.get_by_role("link", name="карточка клиента").click()
    expect(page).to_have_url(re.compile(rf"/admin/members/{member_id}$"), timeout=TIMEOUT)
    expect(page.locator("#balance")).to_have_text("75,00")
    shot(page, "member")


def test_replay_a_dead_event(page: Page, console: Console) -> None:
    n = next(_n)
    console.record(9_200_000 + n, email=f"dead{n}@example.com", price=1000, completed=False)
    [(event_id,)] = console.wait_sql(
        "SELECT id FROM webhook_events WHERE resource_id = :r AND state = 'PROCESSED'",
        r=9_200_000 + n,
    )
    console.sql(
        "UPDATE webhook_events SET state = 'DEAD', attempts = 5, last_error = :e WHERE id = :id",
        id=event_id, e="YClients answered 502 after the retry budget",
    )  # fmt: skip
    sign_in(page, console, admin(console))
    page.goto(f"{console.admin_url}/webhooks?state=DEAD")
    row = page.locator(f"#event-{event_id}")
    expect(row).to_be_visible()
    expect(page.get_by_text("YClients answered 502")).to_be_visible()
    expect(page.locator("pre").first).to_contain_text('"resource": "record"')  # pretty body
    shot(page, "webhook-dead")
    row.get_by_role("button", name="Повторить").click()
    expect(page.get_by_role("status")).to_contain_text(f"{event_id}", timeout=TIMEOUT)
    console.wait_sql(
        "SELECT id FROM webhook_events WHERE id = :id AND state = 'PROCESSED'", id=event_id
    )
    page.goto(f"{console.admin_url}/webhooks?state=PROCESSED")
    expect(page.locator(f"#event-{event_id}")).to_be_visible()


def test_adjust_points(page: Page, console: Console) -> None:
    n = next(_n)
    member_id = console.register(f"olga{n}@example.com", name=f"Ольга {n}")
    sign_in(page, console, admin(console))
    page.goto(f"{console.admin_url}/members?q=olga{n}")
    page.get_by_role("link", name=f"olga{n}@example.com").click()
    expect(page).to_have_url(re.compile(rf"/admin/members/{member_id}$"))
    expect(page.locator("#balance")).to_have_text("0,00")
    adjust = page.locator("form.adjust")  # the redeem form has a reason too
    adjust.get_by_label("Баллы (+/−)").fill("120,50")
    adjust.get_by_label("Причина").fill("подарок на день рождения")
    adjust.get_by_role("button", name="Изменить баллы").click()
    expect(page.locator("#balance")).to_have_text("120,50")
    expect(page.get_by_role("status")).to_contain_text("Баллы изменены")
    expect(page.locator("tr.entry").first).to_contain_text("подарок на день рождения")
    adjust.get_by_label("Баллы (+/−)").fill("-1000")
    adjust.get_by_label("Причина").fill("ошибка")
    adjust.get_by_role("button", name="Изменить баллы").click()
    # Refused: the reason next to the amount, in Russian; what was typed is still there.
    adjust = page.locator("form.adjust")
    expect(adjust.locator("#adjust-amount-error")).to_have_text(
        "Баланс стал бы меньше нуля (сейчас 120,50)", timeout=TIMEOUT
    )
    expect(adjust.get_by_label("Баллы (+/−)")).to_have_value("-1000")
    expect(adjust.get_by_label("Баллы (+/−)")).to_have_attribute("aria-invalid", "true")
    expect(adjust.get_by_label("Причина")).to_have_value("ошибка")
    expect(page.locator("#balance")).to_have_text("120,50")
    shot(page, "member-field-error")


def test_redeem_points_on_the_member_page(page: Page, console: Console) -> None:
    n = next(_n)
    email = f"irina{n}@example.com"
    member_id = console.register(email, name=f"Ирина {n}", phone=f"+7 916 777-{n:02d}-00")
    console.sql("UPDATE users SET email_verified_at = now() WHERE id = :id", id=member_id)
    sign_in(page, console, admin(console))
    page.goto(f"{console.admin_url}/members/{member_id}")
    expect(page.locator("#email .badge.verified")).to_have_text("подтверждён")
    expect(page.locator("#phone .badge.verified")).to_have_count(0)  # not proved
    adjust = page.locator("form.adjust")
    adjust.get_by_label("Баллы (+/−)").fill("500")
    adjust.get_by_label("Причина").fill("подарок")
    adjust.get_by_role("button", name="Изменить баллы").click()
    expect(page.locator("#balance")).to_have_text("500,00", timeout=TIMEOUT)
    redeem = page.locator("form.redeem")
    redeem.get_by_label("Баллы к списанию").fill("120,50")
    redeem.get_by_label("Причина").fill("оплата визита")
    redeem.get_by_role("button", name="Списать баллы").click()
    expect(page.get_by_role("status")).to_have_text("Списано баллов: 120,50", timeout=TIMEOUT)
    expect(page.locator("#balance")).to_have_text("379,50")
    expect(page.locator("tr.entry").first).to_contain_text("оплата визита")
    shot(page, "member-redeem")
    # More than the balance: the page says why, and nothing is spent.
    redeem = page.locator("form.redeem")
    redeem.get_by_label("Баллы к списанию").fill("1000")
    redeem.get_by_label("Причина").fill("слишком много")
    redeem.get_by_role("button", name="Списать баллы").click()
    redeem = page.locator("form.redeem")
    expect(redeem.locator("#redeem-points-error")).to_have_text(
        "Больше, чем на балансе (379,50)", timeout=TIMEOUT
    )
    expect(redeem.get_by_label("Баллы к списанию")).to_have_value("1000")
    expect(redeem.get_by_label("Причина")).to_have_value("слишком много")
    expect(page.locator("#balance")).to_have_text("379,50")


def test_checkout_today_lists_held_points_until_the_visit_is_paid(
    page: Page, console: Console
) -> None:
    n = next(_n)
    record_id = 9_400_000 + n
    boss = admin(console)
    email = f"anna{n}@example.com"
    member_id = console.register(email, name=f"Анна {n}", phone=f"+7 916 888-{n:02d}-00")
    member = console.token(email)
    gift = console.http.post(
        f"{console.stack.api}/api/v1/admin/users/{member_id}/points",
        json={"amount": "1000", "reason": "подарок"}, headers=console.token(boss),
    )  # fmt: skip
    assert gift.status_code == 201, gift.text
    form = console.http.get(f"{console.stack.api}/api/v1/booking/form", headers=member)
    today = datetime.now(ZoneInfo("Europe/Moscow")).date()  # the salon's (ADMIN_TIMEZONE) day
    console.record(
        record_id, email=f"walkin{n}@example.com", price=3000, completed=False,
        comment=form.json()["comment"], at=f"{today.isoformat()}T18:30:00+03:00",
    )  # fmt: skip
    [(booking_id,)] = console.wait_sql(
        "SELECT id FROM bookings WHERE yclients_record_id = :r AND user_id = :u",
        r=record_id, u=member_id,
    )  # fmt: skip
    held = console.http.post(
        f"{console.stack.api}/api/v1/loyalty/redemptions",
        json={"booking_id": booking_id, "points": "450"}, headers=member,
    )  # fmt: skip
    assert held.status_code == 201, held.text
    redemption = held.json()["id"]
    sign_in(page, console, boss)
    page.get_by_role("link", name="Касса", exact=True).click()
    expect(page.get_by_role("heading", name=f"Касса на {today:%d.%m.%Y}")).to_contain_text(
        "сегодня"
    )
    row = page.locator(f"#redemption-{redemption}")
    expect(row).to_contain_text(f"Анна {n}")
    expect(row).to_contain_text("18:30")
    expect(row).to_contain_text("3\u202f000,00")
    expect(row.locator(".points")).to_have_text("450,00")
    shot(page, "checkout")
    # Paid: the visit is completed in YClients, the hold is captured, the list moves on.
    console.complete(record_id)
    console.wait_sql(
        "SELECT id FROM loyalty_redemptions WHERE id = :id AND state = 'CAPTURED'", id=redemption
    )
    page.reload()
    expect(page.locator(f"#redemption-{redemption}")).to_have_count(0)
    page.locator("nav.filters").get_by_text("Списаны при оплате").click()
    expect(page.locator(f"#redemption-{redemption}")).to_contain_text("450,00")
    row.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/admin/members/{member_id}$"))


def test_start_a_sync_and_see_it_finish(page: Page, console: Console) -> None:
    sign_in(page, console, admin(console))
    page.get_by_role("link", name="Обзор").click()  # the owner's page
    page.get_by_role("button", name="Синхронизировать").click()
    progress = page.locator("#sync-progress")
    expect(progress).to_contain_text("Синхронизация", timeout=TIMEOUT)
    expect(progress.locator("p.finished")).to_have_text("Синхронизация завершена", timeout=TIMEOUT)
    expect(progress.locator("tr.run").first).to_have_attribute("data-status", "SUCCEEDED")
    shot(page, "overview-sync")


def test_a_members_credentials_are_refused(page: Page, console: Console) -> None:
    email = f"member{next(_n)}@example.com"
    console.register(email)
    sign_in(page, console, email)
    expect(page.get_by_role("alert")).to_have_text("Это не администратор")
    page.goto(console.admin_url)
    expect(page).to_have_url(re.compile(r"/admin/login"))


def test_a_form_posted_without_its_csrf_token_is_rejected(page: Page, console: Console) -> None:
    member_id = console.register(f"csrf{next(_n)}@example.com")
    sign_in(page, console, admin(console))
    expect(page.get_by_role("heading", name="Сегодня")).to_be_visible()
    # The signed-in browser's cookies, but not the token the page would have added.
    response: Any = page.request.post(
        f"{console.admin_url}/members/{member_id}/points",
        form={"amount": "100", "reason": "forged"}, max_redirects=0,
    )  # fmt: skip
    assert response.status == 403, response.text()
    assert (
        console.sql("SELECT count(*) FROM loyalty_transactions WHERE user_id = :u", u=member_id)[0][
            0
        ]
        == 0
    )


def test_logout_ends_the_session(page: Page, console: Console) -> None:
    sign_in(page, console, admin(console))
    expect(page.get_by_role("heading", name="Сегодня")).to_be_visible()
    page.get_by_role("button", name="Выйти").click()
    expect(page).to_have_url(re.compile(r"/admin/login"))
    page.goto(f"{console.admin_url}/members")
    expect(page).to_have_url(re.compile(r"/admin/login"))


def test_the_console_fits_a_phone(page: Page, console: Console) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, console, admin(console))
    expect(page.get_by_role("heading", name="Сегодня")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, width
    # Every page: wide tables scroll inside their card, the page itself never sideways.
    member_id = console.register(f"phone{next(_n)}@example.com", name="Вера")
    for path in ["/overview", "/unmatched", "/webhooks", "/members", f"/members/{member_id}",
                 "/checkout", "/settings"]:  # fmt: skip
        page.goto(console.admin_url + path)
        expect(page.locator("h1")).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390 + 1, (path, width)
        if path == "/overview":
            shot(page, "overview-phone")


def test_sign_in_and_every_page(page: Page, console: Console) -> None:
    n = next(_n)
    console.record(9_300_000 + n, email=f"guest{n}@example.com", price=3200, completed=False)
    console.wait_sql("SELECT id FROM bookings WHERE yclients_record_id = :r", r=9_300_000 + n)
    page.goto(f"{console.admin_url}/login")
    shot(page, "login")
    sign_in(page, console, admin(console))
    expect(page.get_by_role("heading", name="Сегодня")).to_be_visible()  # the front desk's
    page.get_by_role("link", name="Обзор").click()
    expect(page.get_by_role("heading", name="Обзор")).to_be_visible()
    expect(page.get_by_text("Входящие вебхуки")).to_be_visible()
    shot(page, "overview")
    for link, heading, name in [
        ("Неопознанные записи", "Неопознанные записи", "unmatched"),
        ("Вебхуки", "Вебхуки", "webhooks"),
        ("Клиенты", "Клиенты", "members"),
        ("Касса", "Касса на", None),  # its screenshot: the checkout test
        ("Настройки", "Настройки", "settings"),
    ]:
        page.get_by_role("link", name=link, exact=True).first.click()
        expect(page.get_by_role("heading", name=heading, exact=False).first).to_be_visible()
        if name:
            shot(page, name)
    expect(page.locator("#webhook-url")).to_contain_text("••••••••")
    expect(page.locator("#webhook-url")).not_to_contain_text("console-webhook-secret")


# -- issue 20: sessions that cannot be planted, staff actions that happen once -------------

PLANTED = "b" * 64


def test_session_fixation_a_planted_cookie_never_becomes_a_session(
    page: Page, console: Console, browser: Any
) -> None:
    """An attacker plants `admin_session` in the admin's browser; the admin signs in; the
    attacker's copy of the id must not be signed in (it was, before the fix)."""
    host = console.stack.api
    page.context.add_cookies([
        {"name": "admin_session", "value": PLANTED, "url": f"{host}/admin"},
    ])  # fmt: skip
    sign_in(page, console, admin(console))
    expect(page.get_by_role("heading", name="Сегодня")).to_be_visible()
    ids = [c["value"] for c in page.context.cookies() if c["name"] == "admin_session"]
    assert [i for i in ids if i != PLANTED], ids  # a new id was issued beside the planted one
    attacker = browser.new_context()
    try:
        attacker.add_cookies([{"name": "admin_session", "value": PLANTED, "url": f"{host}/admin"}])
        stolen = attacker.new_page()
        stolen.goto(console.admin_url)
        expect(stolen).to_have_url(re.compile(r"/admin/login"))
    finally:
        attacker.close()


def _member_page(page: Page, console: Console) -> int:
    n = next(_n)
    member_id = console.register(f"twice{n}@example.com", name=f"Дважды {n}")
    sign_in(page, console, admin(console))
    expect(page.get_by_role("heading", name="Сегодня")).to_be_visible()
    page.goto(f"{console.admin_url}/members/{member_id}")
    return member_id


def _entries(console: Console, member_id: int) -> int:
    rows = console.sql("SELECT count(*) FROM loyalty_transactions WHERE user_id = :u", u=member_id)
    return int(rows[0][0])


def test_double_click_on_adjust_and_redeem_moves_points_once(page: Page, console: Console) -> None:
    member_id = _member_page(page, console)
    adjust = page.locator("form.adjust")
    adjust.get_by_label("Баллы (+/−)").fill("500")
    adjust.get_by_label("Причина").fill("подарок")
    adjust.get_by_role("button", name="Изменить баллы").dblclick()
    expect(page.get_by_role("status")).to_contain_text("Баллы изменены", timeout=TIMEOUT)
    expect(page.locator("#balance")).to_have_text("500,00")
    redeem = page.locator("form.redeem")
    redeem.get_by_label("Баллы к списанию").fill("120")
    redeem.get_by_label("Причина").fill("оплата")
    redeem.get_by_role("button", name="Списать баллы").dblclick()
    expect(page.get_by_role("status")).to_contain_text("Списано баллов: 120,00", timeout=TIMEOUT)
    expect(page.locator("#balance")).to_have_text("380,00")
    assert _entries(console, member_id) == 2


def test_double_click_a_resubmitted_form_and_a_replayed_request_move_points_once(
    page: Page, console: Console
) -> None:
    member_id = _member_page(page, console)
    adjust = page.locator("form.adjust")
    adjust.get_by_label("Баллы (+/−)").fill("250")
    adjust.get_by_label("Причина").fill("подарок")
    with page.expect_request(lambda r: r.method == "POST" and "/points" in r.url) as sent:
        adjust.get_by_role("button", name="Изменить баллы").click()
    expect(page.locator("#balance")).to_have_text("250,00", timeout=TIMEOUT)
    request = sent.value
    # Replayed: the very request again, byte for byte, with the browser's cookies.
    for _ in range(2):
        again: Any = page.request.post(
            request.url, data=request.post_data, headers=request.headers, max_redirects=0
        )
        assert again.status in (200, 302, 303), again.text()
    # Resubmitted: back to the page as it was (its form and key) and submit again.
    page.go_back()
    page.goto(f"{console.admin_url}/members/{member_id}")
    page.evaluate(
        "([body, url]) => fetch(url, {method: 'POST', body, headers: {'content-type':"
        " 'application/x-www-form-urlencoded'}})",
        [request.post_data, request.url],
    )
    page.reload()
    expect(page.locator("#balance")).to_have_text("250,00")
    assert _entries(console, member_id) == 1


def test_amount_rule_the_pattern_compiles_with_the_v_flag_and_refuses_exponents(
    page: Page, console: Console
) -> None:
    _member_page(page, console)
    field = page.locator("form.adjust input[name=amount]")
    pattern = field.get_attribute("pattern")
    assert pattern
    assert page.evaluate("p => { new RegExp('^(?:' + p + ')$', 'v'); return true }", pattern)
    spellings = [("1e5", True), ("1_0", True), ("12.345", True), ("NaN", True),
                 ("1 000,50", False), ("-5", False), ("+5", False), ("12,3", False)]  # fmt: skip
    for typed, bad in spellings:
        field.fill(typed)
        assert field.evaluate("e => e.validity.patternMismatch") is bad, typed
    field.fill("1e5")
    page.locator("form.adjust").get_by_label("Причина").fill("x")
    page.locator("form.adjust").get_by_role("button", name="Изменить баллы").click()
    assert field.evaluate("e => e.matches(':invalid')")  # the browser stops it
    expect(page.locator("#balance")).to_have_text("0,00")


def test_double_click_on_sync_now_starts_one_run(page: Page, console: Console) -> None:
    sign_in(page, console, admin(console))
    page.goto(f"{console.admin_url}/overview")
    expect(page.get_by_role("heading", name="Обзор")).to_be_visible()
    before = int(console.sql("SELECT count(*) FROM sync_runs")[0][0])
    page.get_by_role("button", name="Синхронизировать").dblclick()
    progress = page.locator("#sync-progress")
    expect(progress.locator("p.finished")).to_have_text("Синхронизация завершена", timeout=TIMEOUT)
    assert int(console.sql("SELECT count(*) FROM sync_runs")[0][0]) == before + 1


def test_an_unknown_address_and_a_too_long_search_are_console_pages(
    page: Page, console: Console
) -> None:
    sign_in(page, console, admin(console))
    expect(page.get_by_role("heading", name="Сегодня")).to_be_visible()
    page.goto(f"{console.admin_url}/no-such-page")
    expect(page.get_by_role("heading", name="Страница не найдена")).to_be_visible()
    page.get_by_role("link", name="← Вернуться").click()
    expect(page.get_by_role("heading", name="Сегодня")).to_be_visible()
    # The header's search box: 101 characters typed (maxlength stops typing, not a URL).
    page.goto(f"{console.admin_url}/members?q={'я' * 101}")
    expect(page.get_by_role("heading", name="Неверный запрос")).to_be_visible()
    expect(page.get_by_text("Поиск: не длиннее 100 символов")).to_be_visible()
    shot(page, "error-page")
    page.get_by_role("searchbox", name="Найти клиента").fill("анна")
    page.get_by_role("searchbox", name="Найти клиента").press("Enter")
    expect(page.get_by_role("heading", name="Клиенты")).to_be_visible()
