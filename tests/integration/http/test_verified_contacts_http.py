"""Issue 12 reproduction over HTTP on PostgreSQL: a stranger who registers with a salon
client's phone or email sees none of the client's visits and earns none of their points."""

from __future__ import annotations

import pytest

from src.domain.booking import BookingStatus
from tests.integration.http.conftest import PASSWORD, Api
from tests.integration.http.helpers import assert_error

CLIENT_PHONE = "+7 916 111-22-33"


@pytest.mark.parametrize("contact", ["phone", "email"])
async def test_a_stranger_with_the_clients_contact_sees_and_earns_nothing(
    api: Api, contact: str
) -> None:
    body = {"email": "stranger@example.com", "password": PASSWORD, "phone": "89161112233"}
    if contact == "email":
        body = {"email": "client@example.com", "password": PASSWORD}
    registered = await api.client.post("/api/v1/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    login = await api.client.post("/api/v1/auth/login", json=body | {"phone": None})
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}

    visit = api.record(
        phone=CLIENT_PHONE, email="client@example.com", status=BookingStatus.COMPLETED
    )
    await api.ingest(visit)
    await api.ingest(visit)  # the next sync tries again: still nobody

    listed = await api.client.get("/api/v1/booking", headers=headers)
    assert listed.json()["items"] == []
    loyalty = (await api.client.get("/api/v1/loyalty", headers=headers)).json()
    assert loyalty["balance"] == "0.00"
    booking = await api.booking(visit.record_id)
    assert booking.user_id is None

    # The real client registers and has verified the phone: the next sync links to them.
    if contact == "phone":
        client = await api.member("client-real@example.com", phone=CLIENT_PHONE, verified=True)
        await api.ingest(api.record(visit.record_id, phone=CLIENT_PHONE, status=visit.status))
        assert (await api.booking(visit.record_id)).user_id == client.id
        mine = await api.client.get("/api/v1/loyalty", headers=client.headers)
        assert mine.json()["balance"] != "0.00"


from tests.fakes.notify import FakeNotifier  # noqa: E402
from tests.integration.http.verification_helpers import (  # noqa: E402
    container,
    email_code,
    notifier,
    sms_code,
    time_passes,
)

__all__ = ["container", "notifier"]  # the fixtures: a notifier the tests read codes from


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def register_and_login(api: Api, body: dict[str, str]) -> dict[str, str]:
    registered = await api.client.post("/api/v1/auth/register", json=body)
    assert registered.status_code == 201, registered.text
    login = await api.client.post(
        "/api/v1/auth/login", json={"email": body["email"], "password": body["password"]}
    )
    assert login.status_code == 200, login.text
    return bearer(login.json()["access_token"])


@pytest.mark.parametrize("contact", ["phone", "email"])
async def test_reproduction_the_real_client_verifies_and_the_visit_and_points_are_theirs(
    api: Api, notifier: FakeNotifier, contact: str
) -> None:
    """The reproduction end to end: the stranger gets nothing; the real client proves the
    contact with the code sent to it and at that moment the visit and its points are theirs
    (no sync needed), once."""
    if contact == "phone":
        stranger = {"email": "stranger@example.com", "password": PASSWORD, "phone": "89161112233"}
    else:
        stranger = {"email": "client@example.com", "password": PASSWORD}
    stranger_headers = await register_and_login(api, stranger)
    visit = api.record(
        phone=CLIENT_PHONE, email="client@example.com", status=BookingStatus.COMPLETED
    )
    await api.ingest(visit)
    assert (await api.booking(visit.record_id)).user_id is None
    # The stranger cannot verify what they do not receive: guesses are refused.
    guess = await api.client.post(
        f"/api/v1/users/me/{contact}/verify", json={"code": "000000"}, headers=stranger_headers
    )
    assert_error(guess, 400, "code")
    await time_passes(api.engine)

    if contact == "phone":
        client = {"email": "client-real@example.com", "password": PASSWORD, "phone": CLIENT_PHONE}
        headers = await register_and_login(api, client)
        code = sms_code(notifier, CLIENT_PHONE)
    else:
        # The email is the stranger's account, the mailbox the client's: a password reset
        # gives the account to whoever reads the mail; every token of the stranger dies.
        asked = await api.client.post(
            "/api/v1/auth/password-reset/request", json={"email": "client@example.com"}
        )
        assert asked.status_code == 202
        confirmed = await api.client.post(
            "/api/v1/auth/password-reset/confirm",
            json={
                "email": "client@example.com",
                "code": email_code(notifier, "client@example.com", reset=True),
                "new_password": "the-clients-own-password",
            },
        )
        assert confirmed.status_code == 200, confirmed.text
        headers = bearer(confirmed.json()["access_token"])
        me = await api.client.get("/api/v1/users/me", headers=stranger_headers)
        assert_error(me, 401)
        await time_passes(api.engine)
        resent = await api.client.post("/api/v1/users/me/email/resend", headers=headers)
        assert resent.status_code == 202, resent.text
        code = email_code(notifier, "client@example.com")

    verified = await api.client.post(
        f"/api/v1/users/me/{contact}/verify", json={"code": code}, headers=headers
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()[f"{contact}_verified"] is True
    assert verified.json()["bookings_linked"] == 1

    listed = (await api.client.get("/api/v1/booking", headers=headers)).json()["items"]
    assert [b["yclients_record_id"] for b in listed] == [visit.record_id]
    loyalty = (await api.client.get("/api/v1/loyalty", headers=headers)).json()
    assert loyalty["balance"] == "75.00"  # 2500.00 at 3 %
    await api.ingest(visit)  # the next sync: still once
    again = (await api.client.get("/api/v1/loyalty", headers=headers)).json()
    assert again["balance"] == "75.00"
    if contact == "phone":
        theirs = (await api.client.get("/api/v1/loyalty", headers=stranger_headers)).json()
        assert theirs["balance"] == "0.00"


async def test_verification_errors_over_http(api: Api, notifier: FakeNotifier) -> None:
    headers = await register_and_login(
        api, {"email": "maria@example.com", "password": PASSWORD, "phone": CLIENT_PHONE}
    )
    me = (await api.client.get("/api/v1/users/me", headers=headers)).json()
    assert (me["email_verified"], me["phone_verified"]) == (False, False)

    wrong = await api.client.post(
        "/api/v1/users/me/email/verify", json={"code": "999999"}, headers=headers
    )
    if email_code(notifier, "maria@example.com") != "999999":
        assert_error(wrong, 400, "wrong code", "4 tries left")
    malformed = await api.client.post(
        "/api/v1/users/me/email/verify", json={"code": "12ab"}, headers=headers
    )
    assert_error(malformed, 422, "code")

    too_soon = await api.client.post("/api/v1/users/me/phone/resend", headers=headers)
    assert_error(too_soon, 429, "try again")
    assert 1 <= int(too_soon.headers["Retry-After"]) <= 60

    # Another member verified this phone first: 409, and nothing changes for us. Our code is
    # read first: the owner's registration texts the same number a code of its own.
    ours = sms_code(notifier, CLIENT_PHONE)
    await api.member("owner@example.com", phone="8 916 111 22 33", verified=True)
    taken = await api.client.post(
        "/api/v1/users/me/phone/verify",
        json={"code": ours},
        headers=headers,
    )
    assert_error(taken, 409, "another member")

    # Changing the phone sends a code to the new one; it is unverified until then.
    await time_passes(api.engine)
    changed = await api.client.post(
        "/api/v1/users/me/phone", json={"phone": "+7 903 000-00-01"}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["phone"], changed.json()["phone_verified"]) == (
        "+7 903 000-00-01",
        False,
    )
    ok = await api.client.post(
        "/api/v1/users/me/phone/verify",
        json={"code": sms_code(notifier, "+7 903 000-00-01")},
        headers=headers,
    )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"email_verified": False, "phone_verified": True, "bookings_linked": 0}
    bad_phone = await api.client.post(
        "/api/v1/users/me/phone", json={"phone": "12345"}, headers=headers
    )
    assert_error(bad_phone, 422, "phone")
