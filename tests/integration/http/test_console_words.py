"""Staff read their own words on every console page: no stored code (a status, state, kind,
role or trigger) and no English reason reaches the visible text, with data in every state."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy import text

from src.domain.booking import BookingStatus
from src.domain.client_codes import comment_line
from src.domain.inbox import EventState
from src.domain.loyalty import EntryKind
from src.domain.redemption import RedemptionState
from src.domain.sync_run import RunStatus
from src.domain.user import Role
from tests.factories import COMPANY_ID
from tests.integration.http.conftest import Api
from tests.integration.http.test_console import request, sign_in

UPPER_CODES = sorted(
    {
        s.value
        for enum in (BookingStatus, RedemptionState, EntryKind, RunStatus, EventState)
        for s in enum
    }
)
LOWER_CODES = [
    *(r.value for r in Role),
    "schedule", "manual", "cli",  # sync triggers
    "create", "update", "delete", "record",  # webhook actions and resources
]  # fmt: skip
ENGLISH_REASONS = [
    "visit completed", "price changed", "after points were granted", "relinked",
    "matches no user", "belongs to no user", "is shared by", "not a phone number we can read",
    "no client code, email or phone", "points credited", "held for record", "hold:",
    "redemption:", "release:",
]  # fmt: skip


def visible_text(page: str) -> str:
    """What a person reads: no tags, scripts or styles; the stored webhook body (<pre>, the
    bytes YClients sent, shown as received) and the webhook address (<code>) left out."""
    for block in ("script", "style", "pre", "code"):
        page = re.sub(rf"<{block}\b.*?</{block}>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<title>.*?</title>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def codes_in(page: str, russian: bool = True) -> list[str]:
    shown = visible_text(page)
    found = [c for c in UPPER_CODES if re.search(rf"\b{c}\b", shown)]
    found += [c for c in LOWER_CODES if re.search(rf"(?<![\w@.]){c}(?![\w@])", shown)]
    if russian:
        found += [r for r in ENGLISH_REASONS if r in shown]
    return found


@dataclass
class Scene:
    member_id: int
    admin_id: int
    days: list[str]
    run_ids: list[int]
    unmatched_id: int


async def every_state(api: Api) -> Scene:
    """A member with a booking in every status, a redemption in every state and a ledger
    entry of every kind; unmatched bookings for every reason; a sync run of every status and
    trigger; a webhook event in every state."""
    admin = await api.member("boss@salon.example", role=Role.ADMIN)
    member = await api.member("anna@salon.example", name="Анна", phone="+7 916 111-22-33")
    c = api.container
    await c.adjust_points(member.id, Decimal(5000), "подарок на день рождения", admin.id)
    code = (await c.issue_booking_form(member.id)).unique_code
    # Two UTC days ahead: after 21:00 UTC "tomorrow" is already the salon's (Moscow) today,
    # when a member can no longer release a hold.
    visit = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=0, microsecond=0)
    records = {}
    for i, status in enumerate(BookingStatus):
        records[status] = api.record(
            comment=comment_line(code), status=status, at=visit + timedelta(hours=i),
            price="8000.00",
        )  # fmt: skip
    await api.ingest(*records.values())  # COMPLETED: an accrual
    later = datetime.now(UTC) + timedelta(minutes=5)
    # A completed visit cancelled afterwards: a reversal.
    done = api.record(comment=comment_line(code), status=BookingStatus.COMPLETED, at=visit)
    await api.ingest(done)
    await api.ingest(
        api.record(done.record_id, comment=comment_line(code), status=BookingStatus.CANCELLED,
                   at=visit, changed=later)
    )  # fmt: skip
    # Holds: one kept, one released by the member, one captured by the visit's completion,
    # one captured and then reversed by the visit's cancellation.
    ids = {}
    for n in range(4):
        record = api.record(comment=comment_line(code), at=visit + timedelta(hours=6 + n))
        await api.ingest(record)
        booking = await api.booking(record.record_id)
        assert booking.id is not None
        held = await c.hold_points(member.id, booking.id, Decimal(100 + n))
        assert held.id is not None
        ids[n] = (record, held.id)
    await c.release_hold(member.id, ids[1][1])
    captured = ids[2][0]
    await api.ingest(
        api.record(captured.record_id, comment=comment_line(code), at=captured.appointment_at,
                   status=BookingStatus.COMPLETED, changed=later)
    )  # fmt: skip
    reversed_ = ids[3][0]
    for status, at in (
        (BookingStatus.COMPLETED, later),
        (BookingStatus.CANCELLED, later + timedelta(minutes=1)),
    ):
        await api.ingest(
            api.record(reversed_.record_id, comment=comment_line(code),
                       at=reversed_.appointment_at, status=status, changed=at)
        )  # fmt: skip
    pending = await api.booking(records[BookingStatus.PENDING].record_id)
    await c.redeem_points(
        member.id, Decimal(50), "оплата у стойки", admin.id, booking_id=pending.id
    )
    await c.redeem_points(member.id, Decimal(10), "без визита", admin.id)
    async with api.engine.begin() as conn:
        now = datetime.now(UTC)
        await conn.execute(
            text(
                "INSERT INTO loyalty_transactions (user_id, kind, amount, reason, created_at)"
                " VALUES (:u, 'EXPIRY', -5, 'points credited 2030-01-15 expired', :now)"
            ),
            {"u": member.id, "now": now},
        )
        for i, state in enumerate(EventState):
            for j, (resource, action) in enumerate(
                [("record", "create"), ("record", "update"), ("record", "delete"),
                 ("client", "update")]
            ):  # fmt: skip
                await conn.execute(
                    text(
                        "INSERT INTO webhook_events (company_id, resource, resource_id,"
                        " event_status, body, dedupe_key, received_at, state, attempts,"
                        " last_error) VALUES (:c, :r, :rid, :a, :b, :k, :now, :s, 1, :e)"
                    ),
                    {
                        "c": COMPANY_ID, "r": resource, "rid": 900 + i * 10 + j, "a": action,
                        "b": b'{"resource": "record"}', "k": f"words-{i}-{j}", "now": now,
                        "s": state.value,
                        "e": "GatewayError: timed out" if state is EventState.DEAD else None,
                    },
                )  # fmt: skip
        run_ids = []
        for i, status in enumerate(RunStatus):
            trigger = ("schedule", "manual", "cli")[i % 3]
            finished = now if status not in (RunStatus.QUEUED, RunStatus.RUNNING) else None
            row = await conn.execute(
                text(
                    "INSERT INTO sync_runs (company_id, trigger, status, started_at,"
                    " finished_at, error) VALUES (:c, :t, :s, :now, :f, :e) RETURNING id"
                ),
                {
                    "c": COMPANY_ID, "t": trigger, "s": status.value, "now": now,
                    "f": finished, "e": "GatewayError: 503" if status is RunStatus.FAILED else None,
                },
            )  # fmt: skip
            run_ids.append(row.scalar_one())
    # Unmatched: every reason the resolver gives.
    stranger = api.record(email="stranger@example.com", phone="+7 999 000-11-22")
    await api.ingest(
        stranger,
        api.record(comment=comment_line("XYZ23456")),
        api.record(phone="not a phone"),
        api.record(status=BookingStatus.NO_SHOW),
    )
    unmatched = await api.booking(stranger.record_id)
    assert unmatched.id is not None and unmatched.unmatched_reason
    kinds = {k for (k,) in await api.rows("SELECT DISTINCT kind FROM loyalty_transactions")}
    assert kinds == {k.value for k in EntryKind}, kinds
    states = {s for (s,) in await api.rows("SELECT DISTINCT state FROM loyalty_redemptions")}
    assert states == {s.value for s in RedemptionState}, states
    day = (visit + timedelta(hours=3)).date().isoformat()  # the salon's day (Moscow)
    return Scene(member.id, admin.id, [day], run_ids, unmatched.id)


def pages(scene: Scene) -> list[str]:
    every = [
        "/admin", "/admin/unmatched", "/admin/webhooks", "/admin/members",
        "/admin/members?q=анна", f"/admin/members/{scene.member_id}",
        f"/admin/members/{scene.admin_id}", "/admin/settings", "/admin/checkout",
        f"/admin/sync-runs?ids={','.join(map(str, scene.run_ids))}",
        f"/admin/unmatched/{scene.unmatched_id}/candidates?q=анна",
        "/admin/no-such-page", "/admin/checkout?date=",
    ]  # fmt: skip
    every += [f"/admin/webhooks?state={s.value}" for s in EventState]
    every += [
        f"/admin/checkout?date={d}&state={s.value}" for d in scene.days for s in RedemptionState
    ]
    return every


async def walk(client: httpx.AsyncClient, scene: Scene, russian: bool) -> dict[str, list[str]]:
    found = {}
    for path in pages(scene):
        response = await client.get(path)
        assert response.headers["content-type"].startswith("text/html"), (path, response.text)
        if codes := codes_in(response.text, russian):
            found[path] = codes
    return found


async def test_no_state_or_kind_code_on_any_console_page(api: Api) -> None:
    scene = await every_state(api)
    assert (await sign_in(api.client, "boss@salon.example")).status_code in (302, 303)
    assert await walk(api.client, scene, russian=True) == {}
    member = (await api.client.get(f"/admin/members/{scene.member_id}")).text
    shown = visible_text(member)
    for words in ("Ожидает", "Подтверждена", "Клиент пришёл", "Не пришёл", "Отменена"):
        assert words in shown, words
    for words in ("Начисление", "Резерв", "Возврат", "Корректировка", "Списание", "Сгорание"):
        assert words in shown, words
    assert "8\u202f000,00\u00a0₽ × 3\u00a0%" in shown  # the accrual: price and percent
    assert "Отменена после начисления" in shown and "Manicure" in shown
    assert "Сгорели баллы, начисленные 15.01.2030" in shown
    assert "Клиент" in shown and "Bronze" in shown  # role; level name from the setting
    unmatched = visible_text((await api.client.get("/admin/unmatched")).text)
    assert "почта stranger@example.com не найдена у клиентов" in unmatched
    assert "код клиента XYZ23456 не найден" in unmatched
    assert "телефон клиента не похож на номер" in unmatched


async def test_no_code_in_english_either(api: Api, pg_url: str) -> None:
    from src.entrypoints.asgi import create_app
    from tests.integration.http.conftest import NO_LIMIT, app_client, make_settings

    scene = await every_state(api)
    settings = make_settings(pg_url, ADMIN_LANGUAGE="en")
    app = create_app(api.container, settings, login_rate_limit=NO_LIMIT)
    async with app_client(app) as client:
        await sign_in(client, "boss@salon.example")
        assert await walk(client, scene, russian=False) == {}
        member = visible_text((await client.get(f"/admin/members/{scene.member_id}")).text)
        assert "Client came" in member and "For the visit on" in member


async def test_a_refused_form_is_also_in_staffs_words(api: Api) -> None:
    scene = await every_state(api)
    await sign_in(api.client, "boss@salon.example")
    url = f"/admin/members/{scene.member_id}/points"
    refused = await request(api.client, "POST", url, {"amount": "-99999", "reason": "ошибка"})
    page = (await api.client.get(refused.headers["location"])).text
    assert "Баланс стал бы меньше нуля" in page
    assert not codes_in(page) and "would make the balance negative" not in page
