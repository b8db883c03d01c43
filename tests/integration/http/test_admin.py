"""Admin routes: unmatched bookings and manual links, point adjustments, the webhook inbox."""

from __future__ import annotations

import pytest
from dirty_equals import IsInt, IsStr

from src.domain.booking import BookingStatus
from tests.integration.http.conftest import WEBHOOK_SECRET, Api, webhook_body
from tests.integration.http.helpers import assert_error

ADMIN_ROUTES = [
    ("GET", "/api/v1/admin/bookings/unmatched", None),
    ("POST", "/api/v1/admin/bookings/1/link", {"user_id": 1}),
    ("POST", "/api/v1/admin/users/1/points", {"amount": "10.00", "reason": "gift"}),
    ("GET", "/api/v1/admin/users?q=x", None),
    ("PATCH", "/api/v1/admin/users/1", {"role": "admin"}),
    ("GET", "/api/v1/admin/webhook-events", None),
    ("POST", "/api/v1/admin/webhook-events/1/replay", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ADMIN_ROUTES)
async def test_admin_routes_need_a_token_and_the_admin_role(
    api: Api,
    method: str,
    path: str,
    body: dict | None,  # type: ignore[type-arg]
) -> None:
    assert_error(await api.client.request(method, path, json=body), 401)
    member = await api.member()
    response = await api.client.request(method, path, json=body, headers=member.headers)
    assert_error(response, 403, "admin")
    assert await api.count("loyalty_transactions") == 0


async def test_unmatched_bookings_say_why(api: Api) -> None:
    admin, member = await api.admin(), await api.member()
    stranger = api.record(email="stranger@example.com", phone="+7 999 111-22-33")
    await api.ingest(stranger, api.record(email=member.user.email))
    response = await api.client.get("/api/v1/admin/bookings/unmatched", headers=admin.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    [item] = body["items"]
    assert item == {
        **item,
        "yclients_record_id": stranger.record_id,
        "user_id": None,
        "match_method": None,
        "unmatched_reason": IsStr(min_length=5),
        "client_email": "stranger@example.com",
        "client_phone": "+7 999 111-22-33",
        "client_name": "Client",
        "comment": "",
    }


async def test_manual_link_gives_the_member_the_booking_and_its_points(api: Api) -> None:
    admin, member = await api.admin(), await api.member()
    record = api.record(status=BookingStatus.COMPLETED, price="2500.00")
    await api.ingest(record)
    booking = await api.booking(record.record_id)
    response = await api.client.post(
        f"/api/v1/admin/bookings/{booking.id}/link", json={"user_id": member.id},
        headers=admin.headers,
    )  # fmt: skip
    assert response.status_code == 200, response.text
    linked = response.json()
    assert (linked["id"], linked["user_id"], linked["match_method"]) == (
        booking.id,
        member.id,
        "manual",
    )
    assert (linked["bonus_points"], linked["loyalty_bonuses_awarded"]) == ("75.00", True)
    assert linked["unmatched_reason"] is None
    mine = (await api.client.get("/api/v1/booking", headers=member.headers)).json()["items"]
    assert [b["id"] for b in mine] == [booking.id]
    loyalty = (await api.client.get("/api/v1/loyalty", headers=member.headers)).json()
    assert loyalty["balance"] == "75.00"
    unmatched = (
        await api.client.get("/api/v1/admin/bookings/unmatched", headers=admin.headers)
    ).json()
    assert unmatched["total"] == 0


@pytest.mark.parametrize(
    ("booking", "body", "status", "name"),
    [
        ("missing", {"user_id": "member"}, 404, "424242"),
        ("existing", {"user_id": 424242}, 422, "user_id"),
        ("existing", {}, 422, "user_id"),
        ("existing", {"user_id": 0}, 422, "user_id"),
        ("existing", {"user_id": "one"}, 422, "user_id"),
    ],
)
async def test_manual_link_errors(
    api: Api,
    booking: str,
    body: dict,
    status: int,
    name: str,  # type: ignore[type-arg]
) -> None:
    admin, member = await api.admin(), await api.member()
    record = api.record()
    await api.ingest(record)
    booking_id = 424242 if booking == "missing" else (await api.booking(record.record_id)).id
    if body.get("user_id") == "member":
        body = {"user_id": member.id}
    response = await api.client.post(
        f"/api/v1/admin/bookings/{booking_id}/link", json=body, headers=admin.headers
    )
    assert_error(response, status, name)
    assert (await api.booking(record.record_id)).user_id is None


async def test_point_adjustment_is_a_signed_ledger_entry(api: Api) -> None:
    admin, member = await api.admin(), await api.member()
    url = f"/api/v1/admin/users/{member.id}/points"
    response = await api.client.post(
        url, json={"amount": "150", "reason": "birthday gift"}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "id": None if response.json()["id"] is None else IsInt(),
        "kind": "ADJUSTMENT",
        "amount": "150.00",
        "percent": None,
        "reason": "birthday gift",
        "booking_id": None,
        "created_at": IsStr(),
        "user_id": member.id,
        "actor_id": admin.id,
    }
    minus = await api.client.post(
        url, json={"amount": "-50.50", "reason": "correction"}, headers=admin.headers
    )
    assert minus.status_code == 201
    loyalty = (await api.client.get("/api/v1/loyalty", headers=member.headers)).json()
    assert loyalty["balance"] == "99.50"
    [row, _] = await api.rows("SELECT kind, amount, actor_id FROM loyalty_transactions ORDER BY id")
    assert (row.kind, str(row.amount), row.actor_id) == ("ADJUSTMENT", "150.00", admin.id)
    entries = (await api.client.get("/api/v1/loyalty/transactions", headers=member.headers)).json()
    assert [e["amount"] for e in entries["items"]] == ["-50.50", "150.00"]


@pytest.mark.parametrize(
    ("body", "status", "name"),
    [
        ({"amount": "0", "reason": "nothing"}, 422, "amount"),
        ({"amount": "-1", "reason": "below zero"}, 422, "amount"),
        ({"amount": "abc", "reason": "x"}, 422, "amount"),
        ({"amount": "NaN", "reason": "x"}, 422, "amount"),
        ({"amount": "1.234", "reason": "x"}, 422, "amount"),
        ({"amount": 12.5, "reason": "x"}, 422, "amount"),
        ({"amount": "10", "reason": ""}, 422, "reason"),
        ({"amount": "10", "reason": "   "}, 422, "reason"),
        ({"amount": "10"}, 422, "reason"),
        ({"amount": "10", "reason": "gift\u0000"}, 422, "reason"),
        ({"amount": "1000000000", "reason": "too much"}, 422, "amount"),
    ],
)
async def test_point_adjustment_validation(
    api: Api,
    body: dict,
    status: int,
    name: str,  # type: ignore[type-arg]
) -> None:
    admin, member = await api.admin(), await api.member()
    response = await api.client.post(
        f"/api/v1/admin/users/{member.id}/points", json=body, headers=admin.headers
    )
    assert_error(response, status, name)
    assert await api.count("loyalty_transactions") == 0


async def test_point_adjustment_for_a_missing_user_is_404(api: Api) -> None:
    admin = await api.admin()
    response = await api.client.post(
        "/api/v1/admin/users/424242/points", json={"amount": "5", "reason": "x"},
        headers=admin.headers,
    )  # fmt: skip
    assert_error(response, 404, "424242")


async def _events(api: Api) -> dict[str, int]:
    """One PENDING, one IGNORED and one DEAD event; returns their ids by state."""
    url, params = "/api/v1/yclients/webhook", {"secret": WEBHOOK_SECRET}
    pending = (await api.client.post(url, params=params, content=webhook_body(1))).json()
    dead = (await api.client.post(url, params=params, content=webhook_body(2))).json()
    ignored = (
        await api.client.post(
            url, params=params,
            content=b'{"company_id": 873456, "resource": "finances_operation", '
            b'"resource_id": 7, "status": "create"}',
        )
    ).json()  # fmt: skip
    async with api.engine.begin() as conn:
        from sqlalchemy import text

        await conn.execute(
            text("UPDATE webhook_events SET state='DEAD', attempts=5, last_error='boom' "
                 "WHERE id=:id"), {"id": dead["event_id"]},
        )  # fmt: skip
    return {
        "PENDING": pending["event_id"],
        "DEAD": dead["event_id"],
        "IGNORED": ignored["event_id"],
    }


async def test_webhook_events_by_state(api: Api) -> None:
    admin = await api.admin()
    ids = await _events(api)
    url = "/api/v1/admin/webhook-events"
    everything = (await api.client.get(url, headers=admin.headers)).json()
    assert everything["total"] == 3
    assert [e["id"] for e in everything["items"]] == sorted(ids.values(), reverse=True)
    for state in ("DEAD", "dead", "Dead"):
        body = (await api.client.get(url, params={"state": state}, headers=admin.headers)).json()
        [event] = body["items"]
        assert event == {
            "id": ids["DEAD"], "company_id": 873456, "resource": "record", "resource_id": 2,
            "event_status": "create", "state": "DEAD", "attempts": 5, "last_error": "boom",
            "received_at": IsStr(), "processed_at": None,
        }  # fmt: skip
    assert_error(
        await api.client.get(url, params={"state": "gone"}, headers=admin.headers), 400, "state"
    )


async def test_replay(api: Api) -> None:
    admin = await api.admin()
    ids = await _events(api)
    url = "/api/v1/admin/webhook-events/{}/replay"
    response = await api.client.post(url.format(ids["DEAD"]), headers=admin.headers)
    assert response.status_code == 202, response.text
    assert (response.json()["state"], response.json()["attempts"]) == ("PENDING", 0)
    [row] = await api.rows(
        "SELECT state, attempts FROM webhook_events WHERE id=:id", id=ids["DEAD"]
    )
    assert (row.state, row.attempts) == ("PENDING", 0)
    assert_error(await api.client.post(url.format(ids["IGNORED"]), headers=admin.headers), 422)
    assert_error(await api.client.post(url.format(424242), headers=admin.headers), 404, "424242")
