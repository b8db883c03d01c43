"""Issue 23 item 6: a member card staff can work from (services and master per visit, who
made each ledger entry and the running balance, the per-visit spending limit, only open visits
offered for spending) and item 4's cancellation from the card, over HTTP on PostgreSQL."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from src.domain.booking import BookingStatus
from src.domain.client_codes import comment_line
from tests.integration.http.conftest import Api
from tests.integration.http.test_console import _held_booking, _signed_in, request


async def test_the_member_card_shows_what_staff_work_from(api: Api) -> None:
    admin = await _signed_in(api)
    member, held_visit, redemption_id = await _held_booking(api, points="300")
    code = (await api.container.issue_booking_form(member.id)).unique_code
    now = datetime.now(UTC)
    tomorrow = api.record(comment=comment_line(code), at=now + timedelta(days=1), price="2500.00")
    past = api.record(comment=comment_line(code), at=now - timedelta(days=3), price="1200.00",
                      status=BookingStatus.COMPLETED)  # fmt: skip
    cancelled = api.record(comment=comment_line(code), at=now + timedelta(days=2),
                           status=BookingStatus.CANCELLED)  # fmt: skip
    await api.ingest(tomorrow, past, cancelled)
    ids = {r.record_id: (await api.booking(r.record_id)).id for r in (tomorrow, past, cancelled)}
    await api.container.adjust_points(member.id, Decimal(50), "подарок", admin.id)
    page = (await api.client.get(f"/admin/members/{member.id}")).text
    # Each visit with its services and master.
    row = re.search(rf'<tr class="booking-row" id="booking-{ids[past.record_id]}">.*?</tr>', page)
    assert row and "Manicure" in row.group(0) and "Anna" in row.group(0)
    # Spending is offered on the open visit without a hold only, with its limit (30 %).
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == [str(ids[tomorrow.record_id])], options
    assert "баллами до 750,00" in page and "REDEMPTION_MAX_PERCENT" in page
    # The ledger: who made each entry and the balance after it, newest first.
    running = re.findall(r'<td class="num running">([^<]*)</td>', page)
    who = re.findall(r'<td class="who">([^<]*)</td>', page)
    # 1000 − 300 held + 36 earned on the past visit (3 %) + 50 gift, each step shown.
    assert running[:4] == ["786,00", "736,00", "700,00", "1\u202f000,00"], running
    # The gift by staff, the accrual by the system, the hold by the member (in the app).
    assert who[:3] == [admin.user.email, "система", "клиент"], who
    assert f'action="/admin/redemptions/{redemption_id}/cancel"' in page
    assert held_visit.id is not None


async def test_staff_cancel_a_hold_from_the_member_card(api: Api) -> None:
    admin = await _signed_in(api)
    member, _, redemption_id = await _held_booking(api, points="300")
    back = f"/admin/members/{member.id}"
    url = f"/admin/redemptions/{redemption_id}/cancel"
    refused = await request(api.client, "POST", url, {"reason": " ", "back": back})
    assert refused.headers["location"] == back
    page = (await api.client.get(back)).text
    assert f'id="cancel-{redemption_id}-reason-error"' in page and "Заполните это поле" in page
    done = await request(api.client, "POST", url, {"reason": "передумала", "back": back})
    assert done.headers["location"] == back
    page = (await api.client.get(back)).text
    assert "Резерв отменён, баллы вернулись клиенту: 300,00" in page
    assert "отменён администратором: передумала" in page
    assert (await api.container.profile(member.id)).account.balance == Decimal(1000)
    [r] = (await api.container.list_redemptions(member.id, 10, 0)).items
    assert (r.state.value, r.released_by) == ("RELEASED", admin.id)
    again = await request(api.client, "POST", url, {"reason": "ещё раз", "back": back})
    page = (await api.client.get(again.headers["location"])).text
    assert "Резерв уже закрыт" in page
