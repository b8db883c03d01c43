"""Redemption routes: a member holds points on their own upcoming booking only (another's →
404), validation errors name the field, bookings show `points_held`, staff redemption is
admin-only."""

from __future__ import annotations

from typing import Any

import pytest
from dirty_equals import IsInt, IsStr

from src.domain.booking import BookingStatus
from src.domain.client_codes import comment_line
from tests.integration.http.conftest import Api, Member
from tests.integration.http.helpers import assert_error

URL = "/api/v1/loyalty/redemptions"


async def _member_with_points(api: Api, points: str = "1000") -> tuple[Member, Member]:
    admin, member = await api.admin(), await api.member()
    response = await api.client.post(
        f"/api/v1/admin/users/{member.id}/points",
        json={"amount": points, "reason": "gift"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    return admin, member


async def _booking_of(api: Api, member: Member, **kwargs: Any) -> int:
    form = (await api.client.get("/api/v1/booking/form", headers=member.headers)).json()
    record = api.record(comment=comment_line(form["unique_code"]), **kwargs)
    await api.ingest(record)
    return (await api.booking(record.record_id)).id  # type: ignore[return-value]


async def test_hold_list_points_held_and_release(api: Api) -> None:
    _, member = await _member_with_points(api)
    booking_id = await _booking_of(api, member)
    made = await api.client.post(
        URL, json={"booking_id": booking_id, "points": "500"}, headers=member.headers
    )
    assert made.status_code == 201, made.text
    assert made.json() == {
        "id": IsInt(), "booking_id": booking_id, "points": "500.00", "state": "HELD",
        "reason": IsStr(), "created_at": IsStr(), "updated_at": IsStr(),
    }  # fmt: skip
    loyalty = (await api.client.get("/api/v1/loyalty", headers=member.headers)).json()
    assert loyalty["balance"] == "500.00"
    bookings = (await api.client.get("/api/v1/booking", headers=member.headers)).json()
    assert [b["points_held"] for b in bookings["items"]] == ["500.00"]
    again = await api.client.post(
        URL, json={"booking_id": booking_id, "points": "10"}, headers=member.headers
    )
    assert_error(again, 409, "booking_id")
    listed = (await api.client.get(URL, headers=member.headers)).json()
    assert [r["id"] for r in listed["items"]] == [made.json()["id"]]
    released = await api.client.delete(f"{URL}/{made.json()['id']}", headers=member.headers)
    assert released.status_code == 200, released.text
    assert released.json()["state"] == "RELEASED"
    loyalty = (await api.client.get("/api/v1/loyalty", headers=member.headers)).json()
    assert loyalty["balance"] == "1000.00"
    kinds = await api.rows("SELECT kind FROM loyalty_transactions ORDER BY id")
    assert [k.kind for k in kinds] == ["ADJUSTMENT", "HOLD", "RELEASE"]


async def test_only_own_bookings_and_redemptions(api: Api) -> None:
    _, member = await _member_with_points(api)
    _, stranger = await _member_with_points(api)
    booking_id = await _booking_of(api, member)
    theirs = await api.client.post(
        URL, json={"booking_id": booking_id, "points": "10"}, headers=stranger.headers
    )
    assert_error(theirs, 404, "booking")
    missing = await api.client.post(
        URL, json={"booking_id": 424242, "points": "10"}, headers=member.headers
    )
    assert_error(missing, 404, "booking")
    made = await api.client.post(
        URL, json={"booking_id": booking_id, "points": "10"}, headers=member.headers
    )
    release = await api.client.delete(f"{URL}/{made.json()['id']}", headers=stranger.headers)
    assert_error(release, 404, "redemption")
    assert (await api.client.get(URL, headers=stranger.headers)).json()["total"] == 0
    assert await api.count("loyalty_redemptions") == 1


@pytest.mark.parametrize(
    ("body", "status", "name"),
    [
        ({"booking_id": "B", "points": "10"}, 422, "booking_id"),
        ({"points": "10"}, 422, "booking_id"),
        ({"booking_id": 0, "points": "10"}, 422, "booking_id"),
        ({"booking_id": "BOOKING", "points": "0"}, 422, "points"),
        ({"booking_id": "BOOKING", "points": "-5"}, 422, "points"),
        ({"booking_id": "BOOKING", "points": "1.234"}, 422, "points"),
        ({"booking_id": "BOOKING", "points": 12.5}, 422, "points"),
        ({"booking_id": "BOOKING", "points": "751"}, 422, "points"),  # over 30 % of 2500
        ({"booking_id": "BOOKING", "points": "1000.01"}, 422, "points"),  # over the balance
        ({"booking_id": "DONE", "points": "10"}, 422, "booking_id"),  # not upcoming
    ],
)
async def test_hold_validation_names_the_field(
    api: Api, body: dict[str, Any], status: int, name: str
) -> None:
    _, member = await _member_with_points(api, "5000" if body["points"] == "751" else "1000")
    if body.get("booking_id") == "BOOKING":
        body = {**body, "booking_id": await _booking_of(api, member)}
    elif body.get("booking_id") == "DONE":
        body = {
            **body,
            "booking_id": await _booking_of(api, member, status=BookingStatus.COMPLETED),
        }
    response = await api.client.post(URL, json=body, headers=member.headers)
    assert_error(response, status, name)
    assert await api.count("loyalty_redemptions") == 0


async def test_staff_redemption_is_admin_only_and_bounded(api: Api) -> None:
    admin, member = await _member_with_points(api, "100")
    url = f"/api/v1/admin/users/{member.id}/redemptions"
    forbidden = await api.client.post(
        url, json={"points": "10", "reason": "walk-in"}, headers=member.headers
    )
    assert forbidden.status_code == 403
    too_much = await api.client.post(
        url, json={"points": "100.01", "reason": "walk-in"}, headers=admin.headers
    )
    assert_error(too_much, 422, "points")
    no_reason = await api.client.post(url, json={"points": "10"}, headers=admin.headers)
    assert_error(no_reason, 422, "reason")
    done = await api.client.post(
        url, json={"points": "40", "reason": "walk-in"}, headers=admin.headers
    )
    assert done.status_code == 201, done.text
    assert done.json()["state"] == "REDEEMED"
    assert (done.json()["user_id"], done.json()["actor_id"]) == (member.id, admin.id)
    loyalty = (await api.client.get("/api/v1/loyalty", headers=member.headers)).json()
    assert loyalty["balance"] == "60.00"


async def test_checkout_list_is_admin_only_and_lists_the_days_holds(api: Api) -> None:
    admin, member = await _member_with_points(api)
    booking_id = await _booking_of(api, member)
    booking = await api.client.get("/api/v1/booking", headers=member.headers)
    day = booking.json()["items"][0]["appointment_datetime"][:10]
    made = await api.client.post(
        URL, json={"booking_id": booking_id, "points": "300"}, headers=member.headers
    )
    url = f"/api/v1/admin/redemptions?state=held&date={day}"
    assert (await api.client.get(url, headers=member.headers)).status_code == 403
    assert (await api.client.get(url)).status_code == 401
    lines = await api.client.get(url, headers=admin.headers)
    assert lines.status_code == 200, lines.text
    assert lines.json() == [
        {
            "redemption_id": made.json()["id"], "points": "300.00", "state": "HELD",
            "booking_id": booking_id, "yclients_record_id": IsInt(),
            "appointment_datetime": IsStr(), "services": [{"title": "Manicure", "cost": "2500.00"}],
            "price": "2500.00", "member_id": member.id, "member_name": None,
            "member_phone": None, "booking_status": "PENDING", "visit_price": "2500.00",
            "captured_by": None, "discount_missing": False,
        }
    ]  # fmt: skip
    bad = await api.client.get("/api/v1/admin/redemptions?date=2026-02-30", headers=admin.headers)
    assert_error(bad, 400, "date")
    bad = await api.client.get("/api/v1/admin/redemptions?state=nope", headers=admin.headers)
    assert_error(bad, 400, "state")
