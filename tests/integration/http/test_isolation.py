"""No object-level leaks: a member reaches only their own data, whatever they send."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import jwt

from src.domain.booking import BookingStatus
from src.entrypoints.asgi import create_app
from tests.integration.http.conftest import Api, Member
from tests.integration.http.helpers import assert_error

STATUSES = [None, "pending", "confirmed", "completed", "cancelled", "no_show"]


async def two_members(api: Api) -> tuple[Member, Member, dict[int, set[int]]]:
    """A and B with bookings of every status, linked by email, code and phone."""
    a = await api.member("a@example.com", phone="+7 900 000-00-01")
    b = await api.member("b@example.com", phone="+7 900 000-00-02")
    now = datetime.now(UTC)
    owned: dict[int, set[int]] = {a.id: set(), b.id: set()}
    for member, n in itertools.product((a, b), range(5)):
        status = list(BookingStatus)[n]
        at = now + timedelta(days=n - 2)
        code = (await api.container.issue_booking_form(member.id)).comment
        for record in (
            api.record(email=member.user.email, status=status, at=at, price="1000.00"),
            api.record(comment=code, status=status, at=at),
            api.record(phone=member.user.phone, status=status, at=at),
        ):
            await api.ingest(record)
            owned[member.id].add(record.record_id)
    return a, b, owned


async def test_booking_lists_hold_only_the_callers_bookings(api: Api) -> None:
    a, b, owned = await two_members(api)
    for member, other in ((a, b), (b, a)):
        for status, upcoming, offset in itertools.product(STATUSES, ("true", "false"), (0, 5)):
            params = {"upcoming_only": upcoming, "offset": offset, "limit": 100}
            if status:
                params["status"] = status
            # Parameters naming another member are not part of the API and change nothing.
            params |= {"user_id": other.id, "userId": other.id, "email": other.user.email}
            response = await api.client.get(
                "/api/v1/booking", params=params, headers=member.headers
            )
            assert response.status_code == 200, response.text
            seen = {item["yclients_record_id"] for item in response.json()["items"]}
            assert seen <= owned[member.id]
            assert not seen & owned[other.id]
        everything = await api.client.get(
            "/api/v1/booking", params={"limit": 100}, headers=member.headers
        )
        assert {i["yclients_record_id"] for i in everything.json()["items"]} == owned[member.id]


async def test_profile_code_and_loyalty_are_the_callers(api: Api) -> None:
    a, b, _ = await two_members(api)
    for member in (a, b):
        me = (await api.client.get("/api/v1/users/me", headers=member.headers)).json()
        form = (await api.client.get("/api/v1/booking/form", headers=member.headers)).json()
        stored = await api.container.profile(member.id)
        assert me["id"] == member.id and me["email"] == member.user.email
        assert me["unique_code"] == form["unique_code"] == stored.user.unique_code
        loyalty = (await api.client.get("/api/v1/loyalty", headers=member.headers)).json()
        view = await api.container.loyalty(member.id)
        assert loyalty["balance"] == str(view.account.balance)
        entries = (
            await api.client.get(
                "/api/v1/loyalty/transactions",
                params={"limit": 100, "user_id": (b if member is a else a).id},
                headers=member.headers,
            )
        ).json()
        ledger = await api.container.transactions(member.id, 100, 0)
        assert entries["total"] == ledger.total
        assert {e["id"] for e in entries["items"]} == {e.id for e in ledger.items}
    assert a.id != b.id
    codes = {(await api.container.profile(m.id)).user.unique_code for m in (a, b)}
    assert len(codes) == 2


async def test_members_cannot_change_anyone_through_admin_routes(api: Api) -> None:
    a, b, owned = await two_members(api)
    booking = await api.booking(next(iter(owned[b.id])))
    link = await api.client.post(
        f"/api/v1/admin/bookings/{booking.id}/link", json={"user_id": a.id}, headers=a.headers
    )
    assert_error(link, 403)
    assert (await api.booking(booking.record_id)).user_id == b.id
    balance_before = (await api.container.loyalty(b.id)).account.balance
    points = await api.client.post(
        f"/api/v1/admin/users/{b.id}/points", json={"amount": "-10", "reason": "x"},
        headers=a.headers,
    )  # fmt: skip
    assert_error(points, 403)
    assert (await api.container.loyalty(b.id)).account.balance == balance_before


async def test_a_token_for_another_member_needs_the_secret(api: Api) -> None:
    _, b, _ = await two_members(api)
    forged = jwt.encode(
        {"sub": str(b.id), "exp": 4102444800, "iat": 946684800}, "guessed-secret", "HS256"
    )
    response = await api.client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {forged}"}
    )
    assert_error(response, 401)


def test_member_routes_take_no_identifiers(pg_url: str) -> None:
    """Every member route works on the token's user only: no path or query id to tamper with."""
    from tests.integration.http.conftest import make_settings

    schema = create_app(settings=make_settings(pg_url)).openapi_schema.to_schema()
    member_paths = [
        p for p in schema["paths"] if not p.startswith(("/api/v1/admin", "/api/v1/yclients"))
    ]
    assert "/api/v1/booking" in member_paths
    # Issue 14 names the redemption to release in its path; that route answers 404 for
    # anyone else's (test_redemptions.py::test_only_own_bookings_and_redemptions).
    owned = {"/api/v1/loyalty/redemptions/{redemption_id}"}
    for path in member_paths:
        if path in owned:
            continue
        assert "{" not in path
        for operation in schema["paths"][path].values():
            names = {p["name"] for p in operation.get("parameters", [])}
            assert not {n for n in names if "id" in n or "user" in n or "email" in n}, path
