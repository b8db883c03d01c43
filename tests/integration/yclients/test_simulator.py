"""The simulator's control API over HTTP: record changes become webhooks that reach a
receiver, and synthetic data is deterministic and realistic."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
from litestar import Litestar, Request, Response, post

from src.adapters.yclients.webhooks import parse_webhook, record_from_webhook
from src.domain.booking import BookingStatus
from src.domain.client_codes import extract_code
from src.domain.contacts import phone_key
from tests.integration.yclients.conftest import COMPANY_ID, Simulator, serve


@dataclass
class Receiver:
    url: str
    bodies: list[bytes] = field(default_factory=list)


@pytest.fixture(scope="module")
async def receiver() -> AsyncIterator[Receiver]:
    """A stand-in for our webhook endpoint: stores every body, answers 200."""
    bodies: list[bytes] = []

    @post("/hook", status_code=200)
    async def hook(request: Request[Any, Any, Any]) -> Response[bytes]:
        bodies.append(await request.body())
        return Response(b'{"status":"accepted"}', media_type="application/json")

    async with serve(Litestar([hook], logging_config=None, openapi_config=None)) as root:
        yield Receiver(f"{root}/hook", bodies)


@pytest.fixture
async def control(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"{sim.root}/_control") as client:
        yield client


async def test_changes_reach_the_receiver_as_webhooks(
    sim: Simulator, control: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.bodies.clear()
    assert (await control.put("/webhook", json={"url": receiver.url})).status_code == 200

    created = await control.post(
        "/records",
        json={
            "company_id": COMPANY_ID,
            "client": {"name": "Мария", "phone": "8 916 555 12 34", "email": "m@example.com"},
            "comment": "Код клиента: ABC12345",
            "services": [{"title": "Маникюр", "cost": 2500}],
            "datetime": "2026-11-20T11:00:00+03:00",
        },
    )  # fmt: skip
    assert created.status_code == 201
    rid = created.json()["id"]
    updated = await control.patch(f"/records/{COMPANY_ID}/{rid}", json={"attendance": 1})
    deleted = await control.delete(f"/records/{COMPANY_ID}/{rid}")
    deliveries = (await control.get("/webhook/deliveries")).json()  # waits for those in flight

    assert updated.status_code == deleted.status_code == 200
    assert [(d["status"], d["http_status"], d["resource_id"]) for d in deliveries] == [
        ("create", 200, rid), ("update", 200, rid), ("delete", 200, rid),
    ]  # fmt: skip
    envelopes = [parse_webhook(body) for body in receiver.bodies]
    assert [(e.company_id, e.resource, e.resource_id, e.status) for e in envelopes] == [
        (COMPANY_ID, "record", rid, s) for s in ("create", "update", "delete")
    ]
    records = [record_from_webhook(e) for e in envelopes]
    assert all(r is not None for r in records)
    assert [r.status for r in records] == [  # type: ignore[union-attr]
        BookingStatus.PENDING, BookingStatus.COMPLETED, BookingStatus.CANCELLED,
    ]  # fmt: skip
    assert records[0].client.phone == "8 916 555 12 34"  # type: ignore[union-attr]
    assert extract_code(records[1].comment) == "ABC12345"  # type: ignore[union-attr]
    changes = [r.last_change_at for r in records]  # type: ignore[union-attr]
    assert changes == sorted(changes) and len(set(changes)) == 3  # each change is newer


async def test_duplicate_sending_and_partial_delete(
    sim: Simulator, control: httpx.AsyncClient, receiver: Receiver
) -> None:
    receiver.bodies.clear()
    await control.put(
        "/webhook", json={"url": receiver.url, "duplicate": True, "delete_data": "partial"}
    )
    rid = (await control.post("/records", json={"company_id": COMPANY_ID})).json()["id"]
    await control.delete(f"/records/{COMPANY_ID}/{rid}")
    await sim.state.webhooks.drain()

    assert len(receiver.bodies) == 4
    create_1, create_2, delete_1, delete_2 = sorted(receiver.bodies, key=lambda b: b"delete" in b)
    assert create_1 == create_2 and delete_1 == delete_2  # byte-identical: same dedupe key
    envelope = parse_webhook(delete_1)
    assert (envelope.status, envelope.resource_id) == ("delete", rid)
    assert record_from_webhook(envelope) is None  # partial data: rely on resource_id only


async def test_unreachable_receiver_is_recorded_not_fatal(
    sim: Simulator, control: httpx.AsyncClient
) -> None:
    await control.put("/webhook", json={"url": "http://127.0.0.1:9/hook"})

    created = await control.post("/records", json={"company_id": COMPANY_ID})
    deliveries = (await control.get("/webhook/deliveries")).json()

    assert created.status_code == 201
    assert len(deliveries) == 1
    assert deliveries[0]["http_status"] is None and "ConnectError" in deliveries[0]["error"]


async def test_raw_replay_is_sent_verbatim(control: httpx.AsyncClient, receiver: Receiver) -> None:
    receiver.bodies.clear()
    body = b'{"company_id": 873456, "resource": "record"'  # truncated on purpose

    sent = await control.post("/webhook/send", params={"url": receiver.url}, content=body)

    assert sent.status_code == 200 and sent.json()["http_status"] == 200
    assert receiver.bodies == [body]


async def test_generated_records_are_deterministic_and_realistic(
    sim: Simulator, control: httpx.AsyncClient
) -> None:
    spec = {"company_id": COMPANY_ID, "count": 600, "seed": 5, "start_date": "2026-11-01",
            "days": 30}  # fmt: skip
    headers = {"Authorization": f"Bearer {sim.state.partner_token}, User {sim.state.user_token}"}

    async def snapshot() -> list[dict[str, Any]]:
        await control.post("/reset")
        assert (await control.post("/generate", json=spec)).json()["created"] == 600
        async with httpx.AsyncClient(base_url=sim.base_url, headers=headers) as api:
            page = await api.get(
                f"/records/{COMPANY_ID}",
                params={"count": 1000, "with_deleted": 1, "start_date": "2026-11-01"},
            )
        return page.json()["data"]  # type: ignore[no-any-return]

    first, second = await snapshot(), await snapshot()

    assert first == second
    assert all(date(2026, 11, 1) <= date.fromisoformat(r["date"][:10]) <= date(2026, 11, 30)
               for r in first)  # fmt: skip
    clients = [r["client"] for r in first if r["client"]]
    assert all(phone_key(c["phone"]) for c in clients)
    assert {_phone_format(c["phone"]) for c in clients} == {
        "+7 (916) 555-12-34", "+79165551234", "79165551234", "8 916 555 12 34", "8(916)555-12-34",
    }  # fmt: skip
    assert any(c["email"] for c in clients) and any(not c["email"] for c in clients)
    coded = [r for r in first if extract_code(r["comment"])]
    assert 0.2 < len(coded) / len(first) < 0.5
    assert {len(r["services"]) for r in first} == {1, 2, 3}
    assert any(r["deleted"] for r in first)
    assert {r["attendance"] for r in first} <= {-1, 0, 1, 2}
    assert all(r["datetime"].endswith("+03:00") and r["last_change_date"].endswith("+0300")
               for r in first)  # fmt: skip


def _phone_format(phone: str) -> str:
    for prefix, shape in [("+7 (", "+7 (916) 555-12-34"), ("+7", "+79165551234"),
                          ("8 ", "8 916 555 12 34"), ("8(", "8(916)555-12-34"),
                          ("7", "79165551234")]:  # fmt: skip
        if phone.startswith(prefix):
            return shape
    return phone
