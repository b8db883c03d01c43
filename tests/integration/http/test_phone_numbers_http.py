"""Issue 20 item 3 over HTTP on PostgreSQL: a phone is its E.164 number. A member who
verified +1 916 555 1234 no longer takes the visits of the client +7 916 555-12-34 (the same
last 10 digits), who verifies their own phone afterwards and gets them (no 409)."""

from __future__ import annotations

import pytest

from src.domain.booking import BookingStatus
from src.entrypoints.settings import Settings
from tests.fakes.notify import FakeNotifier
from tests.integration.http.conftest import PASSWORD, Api, make_settings
from tests.integration.http.helpers import assert_error
from tests.integration.http.verification_helpers import (
    container,
    notifier,
    sms_code,
    time_passes,
)

__all__ = ["container", "notifier"]  # the fixtures: a notifier the tests read codes from

RUSSIAN = "+7 916 555-12-34"
AMERICAN = "+1 916 555 1234"


@pytest.fixture
def settings(pg_url: str) -> Settings:
    """This salon texts American numbers too, so the stranger can verify theirs."""
    return make_settings(pg_url, SMS_ALLOWED_REGIONS=("RU", "US"))


async def register_and_login(api: Api, email: str, phone: str) -> dict[str, str]:
    body = {"email": email, "password": PASSWORD, "phone": phone}
    registered = await api.client.post("/api/v1/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    login = await api.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


async def verify_phone(api: Api, headers: dict[str, str], code: str) -> dict[str, object]:
    verified = await api.client.post(
        "/api/v1/users/me/phone/verify", json={"code": code}, headers=headers
    )
    assert verified.status_code == 200, verified.text
    return dict(verified.json())


async def test_foreign_verified_phone_does_not_take_a_russian_clients_booking_over_http(
    api: Api, notifier: FakeNotifier
) -> None:
    stranger = await register_and_login(api, "stranger@example.com", AMERICAN)
    await verify_phone(api, stranger, sms_code(notifier, AMERICAN))

    visit = api.record(phone=RUSSIAN, status=BookingStatus.COMPLETED)
    await api.ingest(visit)
    assert (await api.booking(visit.record_id)).user_id is None
    listed = await api.client.get("/api/v1/booking", headers=stranger)
    assert listed.json()["items"] == []
    assert (await api.client.get("/api/v1/loyalty", headers=stranger)).json()["balance"] == "0.00"

    await time_passes(api.engine)
    client = await register_and_login(api, "client@example.com", "89165551234")
    done = await verify_phone(api, client, sms_code(notifier, "89165551234"))
    assert (done["phone_verified"], done["bookings_linked"]) == (True, 1)
    mine = (await api.client.get("/api/v1/booking", headers=client)).json()["items"]
    assert [b["yclients_record_id"] for b in mine] == [visit.record_id]
    assert (await api.client.get("/api/v1/loyalty", headers=client)).json()["balance"] == "75.00"
    assert (await api.client.get("/api/v1/loyalty", headers=stranger)).json()["balance"] == "0.00"
    # Each code went to the E.164 number its member's phone key stands for.
    assert [to for to, _, _ in notifier.sms] == ["+19165551234", "+79165551234"]


async def test_member_search_finds_every_spelling_of_a_phone(api: Api) -> None:
    russian = await api.member("ru@example.com", phone="8 (916) 555-12-34")
    american = await api.member("us@example.com", phone=AMERICAN)
    admin = await api.admin()

    async def found(q: str) -> list[int]:
        page = await api.client.get("/api/v1/admin/users", params={"q": q}, headers=admin.headers)
        assert page.status_code == 200, page.text
        return [item["id"] for item in page.json()["items"]]

    # A substring search: the Russian key 9165551234 is also inside the US number's key.
    for spelling in ("+7 (916) 555-12-34", "89165551234", "9165551234", "7 916 555 12 34"):
        assert russian.id in await found(spelling), spelling
    for spelling in ("+1 (916) 555-1234", "+19165551234"):
        assert await found(spelling) == [american.id], spelling
    assert sorted(await found("555-12")) == sorted([russian.id, american.id])  # a partial one


async def test_a_phone_that_is_not_a_number_is_a_422_naming_the_field(api: Api) -> None:
    refused = await api.client.post(
        "/api/v1/auth/register",
        json={"email": "maria@example.com", "password": PASSWORD, "phone": "+7 916 555 12 34 5"},
    )
    assert_error(refused, 422, "phone: not a phone number")
    assert await api.count("users") == 0
    member = await api.member("maria@example.com", phone=RUSSIAN)
    changed = await api.client.post(
        "/api/v1/users/me/phone", json={"phone": "1 916 555 1234"}, headers=member.headers
    )
    assert_error(changed, 422, "phone: not a phone number")
    me = (await api.client.get("/api/v1/users/me", headers=member.headers)).json()
    assert (me["phone"], me["phone_verified"]) == (RUSSIAN, True)  # left as it was
