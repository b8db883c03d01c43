"""A member's own profile, booking form, bookings and loyalty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dirty_equals import IsInt, IsStr

from src.domain.booking import BookingStatus
from src.domain.client_codes import ALPHABET
from tests.integration.http.conftest import WIDGET_URL, Api, Member
from tests.integration.http.helpers import assert_error

ME = "/api/v1/users/me"
FORM = "/api/v1/booking/form"
BOOKINGS = "/api/v1/booking"
LOYALTY = "/api/v1/loyalty"
TRANSACTIONS = "/api/v1/loyalty/transactions"
MEMBER_ROUTES = [ME, FORM, BOOKINGS, LOYALTY, TRANSACTIONS]


def utc(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() == timedelta(0), value
    return parsed


async def bookings_of(api: Api, member: Member) -> dict[str, int]:
    """Five bookings linked to `member` by email; returns record ids by name."""
    now = datetime.now(UTC)
    plan = {
        "done": (BookingStatus.COMPLETED, now - timedelta(days=3), "1000.00"),
        "missed": (BookingStatus.PENDING, now - timedelta(days=1), "2500.00"),
        "soon": (BookingStatus.PENDING, now + timedelta(days=1), "1500.50"),
        "cancelled": (BookingStatus.CANCELLED, now + timedelta(days=2), "2500.00"),
        "later": (BookingStatus.CONFIRMED, now + timedelta(days=3), "2500.00"),
    }
    ids = {}
    for name, (status, at, price) in plan.items():
        record = api.record(email=member.user.email, status=status, at=at, price=price)
        await api.ingest(record)
        ids[name] = record.record_id
    return ids


@pytest.mark.parametrize("path", MEMBER_ROUTES)
async def test_member_routes_need_a_token(api: Api, path: str) -> None:
    assert_error(await api.client.get(path), 401)


async def test_me(api: Api) -> None:
    member = await api.member("me@example.com", phone="8 (916) 555-12-34", name="Maria")
    response = await api.client.get(ME, headers=member.headers)
    assert response.status_code == 200
    assert response.json() == {
        "id": member.id,
        "email": "me@example.com",
        "phone": "8 (916) 555-12-34",
        "name": "Maria",
        "unique_code": None,
        "role": "user",
        "created_at": IsStr(),
        "level": {"name": "Bronze", "cashback_percent": "3.00", "min_spend": "0.00"},
        "balance": "0.00",
        "email_verified": True,  # api.member verifies by default
        "phone_verified": True,
        "phone_verifiable": True,  # an SMS gateway is configured (not SMS_PROVIDER=none)
    }
    assert "password" not in response.text


async def test_me_shows_unverified_contacts(api: Api) -> None:
    member = await api.member("new@example.com", phone="+79165551234", verified=False)
    me = (await api.client.get(ME, headers=member.headers)).json()
    assert (me["email_verified"], me["phone_verified"]) == (False, False)


async def test_booking_form_creates_the_code_once(api: Api) -> None:
    member = await api.member()
    first = await api.client.get(FORM, headers=member.headers)
    assert first.status_code == 200
    form = first.json()
    code = form["unique_code"]
    assert len(code) == 8 and set(code) <= set(ALPHABET)
    assert form == {
        "unique_code": code,
        "comment": f"Код клиента: {code}",
        "widget_url": WIDGET_URL,
    }
    assert (await api.client.get(FORM, headers=member.headers)).json() == form
    assert (await api.client.get(ME, headers=member.headers)).json()["unique_code"] == code


async def test_a_booking_made_with_the_form_comment_is_the_members(api: Api) -> None:
    member = await api.member()
    form = (await api.client.get(FORM, headers=member.headers)).json()
    record = api.record(comment=f"Хочу к Анне\n{form['comment']}")
    await api.ingest(record)
    items = (await api.client.get(BOOKINGS, headers=member.headers)).json()["items"]
    assert [(b["yclients_record_id"], b["match_method"]) for b in items] == [
        (record.record_id, "code")
    ]


async def test_booking_shape(api: Api) -> None:
    member = await api.member()
    ids = await bookings_of(api, member)
    response = await api.client.get(
        BOOKINGS, params={"status": "completed"}, headers=member.headers
    )
    assert response.status_code == 200
    [booking] = response.json()["items"]
    assert booking == {
        "id": IsInt(gt=0),
        "company_id": 873456,
        "yclients_record_id": ids["done"],
        "status": "COMPLETED",
        "appointment_datetime": IsStr(),
        "price": "1000.00",
        "services": [{"title": "Manicure", "cost": "1000.00"}],
        "staff_name": "Anna",
        "match_method": "email",
        "loyalty_bonuses_awarded": True,
        "bonus_points": "30.00",
        "bonus_percent": "3.00",
        "deleted": False,
        "created_at": IsStr(),
        "updated_at": IsStr(),
        "points_held": "0.00",
    }
    utc(booking["appointment_datetime"])
    utc(booking["created_at"])


async def test_upcoming_only_is_pending_or_confirmed_from_now_nearest_first(api: Api) -> None:
    member = await api.member()
    ids = await bookings_of(api, member)
    response = await api.client.get(
        BOOKINGS, params={"upcoming_only": "true"}, headers=member.headers
    )
    body = response.json()
    assert [b["yclients_record_id"] for b in body["items"]] == [ids["soon"], ids["later"]]
    assert [b["status"] for b in body["items"]] == ["PENDING", "CONFIRMED"]
    assert (body["total"], body["limit"], body["offset"]) == (2, 20, 0)
    times = [utc(b["appointment_datetime"]) for b in body["items"]]
    assert datetime.now(UTC) <= times[0] <= times[1]


@pytest.mark.parametrize("status", ["confirmed", "CONFIRMED", "Confirmed"])
async def test_status_filter_is_case_insensitive(api: Api, status: str) -> None:
    member = await api.member()
    ids = await bookings_of(api, member)
    params = {"upcoming_only": "true", "status": status}
    items = (await api.client.get(BOOKINGS, params=params, headers=member.headers)).json()["items"]
    assert [b["yclients_record_id"] for b in items] == [ids["later"]]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("pending", ["soon", "missed"]), ("cancelled", ["cancelled"]), ("no_show", [])],
)
async def test_status_filter_without_upcoming(api: Api, status: str, expected: list[str]) -> None:
    member = await api.member()
    ids = await bookings_of(api, member)
    items = (
        await api.client.get(BOOKINGS, params={"status": status}, headers=member.headers)
    ).json()["items"]
    assert [b["yclients_record_id"] for b in items] == [ids[name] for name in expected]


async def test_all_bookings_newest_first_and_paginated(api: Api) -> None:
    member = await api.member()
    ids = await bookings_of(api, member)
    newest_first = ["later", "cancelled", "soon", "missed", "done"]
    body = (await api.client.get(BOOKINGS, headers=member.headers)).json()
    assert [b["yclients_record_id"] for b in body["items"]] == [ids[n] for n in newest_first]
    page = (
        await api.client.get(BOOKINGS, params={"limit": 2, "offset": 1}, headers=member.headers)
    ).json()
    assert [b["yclients_record_id"] for b in page["items"]] == [ids[n] for n in newest_first[1:3]]
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 1)


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"status": "done"}, "status"),
        ({"status": "pending,confirmed"}, "status"),
        ({"upcoming_only": "perhaps"}, "upcoming_only"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": "-1"}, "offset"),
    ],
)
async def test_bad_query_parameters_are_400_naming_them(
    api: Api, params: dict[str, str], name: str
) -> None:
    member = await api.member()
    error = assert_error(
        await api.client.get(BOOKINGS, params=params, headers=member.headers), 400, name
    )
    assert error["details"][0]["name"] == name


async def test_loyalty_account_and_transactions(api: Api) -> None:
    member = await api.member()
    await bookings_of(api, member)
    loyalty = (await api.client.get(LOYALTY, headers=member.headers)).json()
    assert loyalty == {
        "balance": "30.00",
        "level": {"name": "Bronze", "cashback_percent": "3.00", "min_spend": "0.00"},
        "next_level": {"name": "Silver", "cashback_percent": "5.00", "min_spend": "30000.00"},
        "spend_to_next_level": "29000.00",
        "completed_spend": "1000.00",
        "expiring_soon": [],  # POINTS_TTL_DAYS=0: nothing expires
    }
    body = (await api.client.get(TRANSACTIONS, headers=member.headers)).json()
    assert body["total"] == 1
    assert body["items"] == [
        {
            "id": IsInt(gt=0),
            "kind": "ACCRUAL",
            "amount": "30.00",
            "percent": "3.00",
            "reason": IsStr(),
            "booking_id": IsInt(gt=0),
            "created_at": IsStr(),
        }
    ]


async def test_me_shows_level_and_balance(api: Api) -> None:
    member = await api.member()
    await bookings_of(api, member)
    me = (await api.client.get(ME, headers=member.headers)).json()
    assert (me["balance"], me["level"]["name"]) == ("30.00", "Bronze")
