"""Salon-local times: a booking's `appointment_datetime` carries the offset YClients sent for
that record; the instant is unchanged, and lists sort and filter by instant."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import text

from src.adapters.yclients.mapping import decode_record
from src.domain.record import YClientsRecord
from tests.integration.http.conftest import Api, webhook_body

BOOKINGS = "/api/v1/booking"


def wire_record(record_id: int, company_id: int, at: str, email: str) -> YClientsRecord:
    """A record as YClients sends it (through the one wire → domain mapping)."""
    body = json.loads(webhook_body(record_id))["data"]
    body.update(
        id=record_id, company_id=company_id, datetime=at, attendance=0, deleted=False,
        client={"name": "Maria", "email": email, "phone": ""}, comment="",
    )  # fmt: skip
    return decode_record(json.dumps(body).encode())


async def test_each_booking_comes_back_in_its_salons_offset(api: Api) -> None:
    member = await api.member()
    email = member.user.email
    await api.ingest(
        wire_record(910001, 873456, "2030-01-15T12:00:00+03:00", email),
        wire_record(910002, 873457, "2030-01-15T12:00:00+0500", email),
    )
    items = (await api.client.get(BOOKINGS, headers=member.headers)).json()["items"]
    shown = {b["yclients_record_id"]: b["appointment_datetime"] for b in items}
    assert shown == {910001: "2030-01-15T12:00:00+03:00", 910002: "2030-01-15T12:00:00+05:00"}
    # Stored as the instant (UTC) plus the offset.
    rows = await api.rows(
        "SELECT yclients_record_id, appointment_at, utc_offset_minutes FROM bookings"
        " WHERE yclients_record_id IN (910001, 910002) ORDER BY yclients_record_id"
    )
    assert [(r[0], r[1].astimezone(UTC), r[2]) for r in rows] == [
        (910001, datetime(2030, 1, 15, 9, 0, tzinfo=UTC), 180),
        (910002, datetime(2030, 1, 15, 7, 0, tzinfo=UTC), 300),
    ]


async def test_upcoming_across_salons_in_different_offsets_is_ordered_by_instant(
    api: Api,
) -> None:
    member = await api.member()
    email = member.user.email
    # Wall clocks 08:30 < 09:00 < 12:00, instants 06:00Z < 07:00Z < 08:30Z: a list sorted by
    # the local text would come out C, B, A.
    await api.ingest(
        wire_record(920001, 873456, "2030-01-15T12:00:00+0500", email),  # A: 07:00Z
        wire_record(920002, 873457, "2030-01-15T09:00:00+03:00", email),  # B: 06:00Z
        wire_record(920003, 873458, "2030-01-15T08:30:00+00:00", email),  # C: 08:30Z
    )
    body = (
        await api.client.get(BOOKINGS, params={"upcoming_only": "true"}, headers=member.headers)
    ).json()
    assert [(b["yclients_record_id"], b["appointment_datetime"]) for b in body["items"]] == [
        (920002, "2030-01-15T09:00:00+03:00"),
        (920001, "2030-01-15T12:00:00+05:00"),
        (920003, "2030-01-15T08:30:00Z"),
    ]


async def test_a_booking_stored_before_offsets_were_kept_is_shown_in_utc(api: Api) -> None:
    member = await api.member()
    await api.ingest(wire_record(930001, 873456, "2030-01-15T12:00:00+03:00", member.user.email))
    async with api.engine.begin() as conn:  # as migration 0004 leaves older rows
        await conn.execute(
            text("UPDATE bookings SET utc_offset_minutes = NULL WHERE yclients_record_id = 930001")
        )
    [booking] = (await api.client.get(BOOKINGS, headers=member.headers)).json()["items"]
    assert booking["appointment_datetime"] == "2030-01-15T09:00:00Z"
