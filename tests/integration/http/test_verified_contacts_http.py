"""Issue 12 reproduction over HTTP on PostgreSQL: a stranger who registers with a salon
client's phone or email sees none of the client's visits and earns none of their points."""

from __future__ import annotations

import pytest

from src.domain.booking import BookingStatus
from tests.integration.http.conftest import PASSWORD, Api

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
