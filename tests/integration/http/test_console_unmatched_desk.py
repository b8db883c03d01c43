"""Issue 23 items 5 and 9, over HTTP: the unmatched list suggests members for the whole page
(an unverified phone said so), "not a member" hides a client's bookings until put back, a
link made from the list stays on it with an undo; a replay that cannot help says so."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import event, text

from src.domain.booking import BookingStatus, MatchMethod
from tests.integration.db.helpers import transactions
from tests.integration.http.conftest import WEBHOOK_SECRET, Api
from tests.integration.http.test_console import _signed_in, csrf_token, request


async def htmx(api: Api, path: str, form: dict[str, str]) -> str:
    headers = {"HX-Request": "true", "x-csrftoken": await csrf_token(api.client)}
    response = await api.client.post(path, data={"once": uuid.uuid4().hex, **form}, headers=headers)
    assert response.status_code == 200, response.text
    return response.text


def card(page: str, booking_id: int | None) -> str:
    return page.split(f'id="booking-{booking_id}"', 1)[1].split("</section>", 1)[0]


async def test_suggestions_come_with_the_page_and_say_an_unverified_phone(api: Api) -> None:
    await _signed_in(api)
    anna = await api.member(name="Анна", phone="+7 916 555-12-34", verified=False)
    record = api.record(phone="8 916 555 12 34")
    stranger = api.record(email="stranger@example.com")
    await api.ingest(record, stranger)
    booking, other = await api.booking(record.record_id), await api.booking(stranger.record_id)
    page = (await api.client.get("/admin/unmatched")).text
    mine = card(page, booking.id)
    assert "Анна" in mine and "телефон совпадает, но не подтверждён" in mine
    assert f'"user_id": {anna.user.id}' in mine  # linkable from the card
    assert "Возможно, это" not in card(page, other.id)
    # No card asks for its candidates on load: the search box is for a typed query only.
    assert "load" not in "".join(re.findall(r'hx-trigger="([^"]*)"', page))


async def test_link_stays_on_the_list_with_an_undo(api: Api) -> None:
    await _signed_in(api)
    member = await api.member(name="Мария")
    record = api.record(email="walk-in@example.com")  # two days ahead: nothing to settle
    await api.ingest(record)
    booking = await api.booking(record.record_id)
    row = await htmx(api, f"/admin/bookings/{booking.id}/link", {"user_id": str(member.user.id)})
    assert f'id="booking-{booking.id}"' in row and "привязана" in row and "Отменить" in row
    assert (await api.booking(record.record_id)).match_method is MatchMethod.MANUAL
    back = await htmx(api, f"/admin/bookings/{booking.id}/undo", {"user_id": str(member.user.id)})
    assert "Привязка записи" in back and "walk-in@example.com" in back  # the card again
    undone = await api.booking(record.record_id)
    assert (undone.user_id, undone.match_method) == (None, None)
    assert undone.unmatched_reason  # why nobody is linked, written again


async def test_undo_is_refused_once_points_were_credited(api: Api) -> None:
    await _signed_in(api)
    member = await api.member()
    record = api.record(email="done@example.com", status=BookingStatus.COMPLETED,
                        at=datetime.now(UTC) - timedelta(days=1))  # fmt: skip
    await api.ingest(record)
    booking = await api.booking(record.record_id)
    await htmx(api, f"/admin/bookings/{booking.id}/link", {"user_id": str(member.user.id)})
    refused = await htmx(
        api, f"/admin/bookings/{booking.id}/undo", {"user_id": str(member.user.id)}
    )
    assert "Отменить нельзя: по этой записи уже начислены баллы" in refused
    assert (await api.booking(record.record_id)).user_id == member.user.id


async def test_not_a_member_hides_the_clients_bookings_until_put_back(api: Api) -> None:
    await _signed_in(api)
    first = api.record(phone="+7 916 777-00-01")
    second = api.record(phone="8 (916) 777 00 01", at=datetime.now(UTC) + timedelta(days=4))
    other = api.record(email="someone@example.com")
    await api.ingest(first, second, other)
    b1, b2 = await api.booking(first.record_id), await api.booking(second.record_id)
    done = await request(
        api.client, "POST", f"/admin/unmatched/{b1.id}/dismiss", {"back": "/admin/unmatched"}
    )
    assert done.headers["location"] == "/admin/unmatched"
    page = (await api.client.get("/admin/unmatched")).text
    assert "Клиент скрыт" in page  # the flash
    assert f'id="booking-{b1.id}"' not in page and f'id="booking-{b2.id}"' not in page
    assert "someone@example.com" in page
    hidden = (await api.client.get("/admin/unmatched?show=hidden")).text
    assert f'id="booking-{b1.id}"' in hidden and f'id="booking-{b2.id}"' in hidden
    assert "someone@example.com" not in hidden and "Вернуть в список" in hidden
    # The return address is only ever a console list: never another site.
    back = await request(
        api.client, "POST", f"/admin/unmatched/{b2.id}/restore", {"back": "https://evil.example"}
    )
    assert back.headers["location"] == "/admin/unmatched"
    page = (await api.client.get("/admin/unmatched")).text
    assert f'id="booking-{b1.id}"' in page and f'id="booking-{b2.id}"' in page


async def test_a_replay_that_cannot_help_says_so_and_keeps_the_filter(api: Api) -> None:
    await _signed_in(api)
    body = b'{"company_id": 873456, "resource": "record", "resource_id": 4242, "status": "update"}'
    accepted = await api.client.post(
        "/api/v1/yclients/webhook", params={"secret": WEBHOOK_SECRET}, content=body
    )
    event_id = accepted.json()["event_id"]
    async with api.engine.begin() as conn:
        await conn.execute(
            text("UPDATE webhook_events SET state='DEAD', attempts=5 WHERE id=:id"),
            {"id": event_id},
        )
    replay = f"/admin/webhooks/{event_id}/replay?state=DEAD"
    refused = await request(api.client, "POST", replay, {})
    assert refused.headers["location"] == "/admin/webhooks?state=DEAD"
    page = (await api.client.get(refused.headers["location"])).text
    assert "Повтор не поможет: записи 4242 больше нет в YClients" in page
    # The list's button (HTMX) goes back to the same filtered list.
    headers = {"HX-Request": "true", "x-csrftoken": await csrf_token(api.client)}
    again = await api.client.post(replay, data={}, headers=headers)
    assert again.headers["HX-Redirect"] == "/admin/webhooks?state=DEAD"
    async with api.engine.begin() as conn:
        state = (
            await conn.execute(text("SELECT state FROM webhook_events WHERE id=:id"),
                               {"id": event_id})
        ).scalar_one()  # fmt: skip
    assert state == "DEAD"
    api.gateway.put(api.record(4242, email="back@example.com"))  # YClients has it again
    queued = await request(api.client, "POST", replay, {})
    assert queued.headers["location"] == "/admin/webhooks?state=DEAD"
    page = (await api.client.get(queued.headers["location"])).text
    assert f"Событие {event_id} поставлено в очередь" in page


async def test_the_list_reads_in_one_transaction_however_many_cards(api: Api) -> None:
    """The suggestions of every card come with the page's one read (like the member list's:
    the session guard's transaction plus one), in as many statements for 12 cards as for 2."""
    await _signed_in(api)
    for n in range(3):
        await api.member(name=f"Гость {n}", phone=f"+7 916 600-00-0{n}", verified=False)
    await api.ingest(*[api.record(phone=f"+7 916 600-00-0{n % 3}") for n in range(2)])
    with transactions(api.engine) as begun:
        assert (await api.client.get("/admin/members")).status_code == 200
    one_read = len(begun)
    few = await _statements(api, "/admin/unmatched")
    await api.ingest(*[api.record(phone=f"+7 916 600-00-0{n % 3}") for n in range(10)])
    with transactions(api.engine) as begun:
        page = (await api.client.get("/admin/unmatched")).text
    assert len(begun) == one_read
    assert page.count('class="suggestion"') == 12
    assert await _statements(api, "/admin/unmatched") == few


async def _statements(api: Api, path: str) -> int:
    executed: list[str] = []

    def record(*args: object) -> None:
        executed.append(str(args[2]))

    event.listen(api.engine.sync_engine, "before_cursor_execute", record)
    try:
        assert (await api.client.get(path)).status_code == 200
    finally:
        event.remove(api.engine.sync_engine, "before_cursor_execute", record)
    return len(executed)
