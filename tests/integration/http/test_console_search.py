"""The Members page finds what staff type (Cyrillic any case, `%` literally), lists clients
only, with their level and last visit; every console page has the search box."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from src.domain.booking import BookingStatus
from src.domain.client_codes import comment_line
from src.domain.user import Role
from tests.integration.http.conftest import Api
from tests.integration.http.test_console import sign_in
from tests.integration.http.test_console_words import visible_text


async def test_members_page_lists_clients_with_level_and_last_visit(api: Api) -> None:
    admin = await api.member("boss@salon.example", name="Анна Управляющая", role=Role.ADMIN)
    anna = await api.member("anna@example.com", name="Анна Петрова")
    await api.member("sale@example.com", name="Скидка 100% Ольга")
    await api.member("plain@example.com", name="Скидка 1000 Ирина")
    code = (await api.container.issue_booking_form(anna.id)).unique_code
    visit = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)
    for days in (0, 30):
        await api.ingest(
            api.record(comment=comment_line(code), status=BookingStatus.COMPLETED,
                       at=visit - timedelta(days=days), price="40000.00")
        )  # fmt: skip
    await sign_in(api.client, admin.user.email)
    page = (await api.client.get("/admin/members", params={"q": "АННА"})).text
    rows = re.findall(r'<tr class="member">.*?</tr>', page, re.S)
    assert len(rows) == 1 and "Анна Петрова" in rows[0], page  # the admin is not a client
    assert "Управляющая" not in visible_text(page).split("Клиенты", 2)[-1]
    assert '<td class="level">Silver</td>' in rows[0]  # 80 000 ₽ spent: the setting's name
    assert '<td class="last-visit">15.01.2030 12:00</td>' in rows[0]  # salon time
    literal = (await api.client.get("/admin/members", params={"q": "100%"})).text
    assert "Скидка 100% Ольга" in literal and "Скидка 1000 Ирина" not in literal
    everyone = (await api.client.get("/admin/members")).text
    assert "boss@salon.example" not in visible_text(everyone).split("Клиенты", 2)[-1]


async def test_every_console_page_has_the_search_box(api: Api) -> None:
    admin = await api.admin()
    await sign_in(api.client, admin.user.email)
    for path in ("/admin", "/admin/unmatched", "/admin/checkout", "/admin/settings",
                 f"/admin/members/{admin.id}", "/admin/webhooks"):  # fmt: skip
        page = (await api.client.get(path)).text
        assert re.search(
            r'<form method="get" action="/admin/members" class="header-search" role="search">\s*'
            r'<input type="search" name="q"',
            page,
        ), path
