"""Helpers that drive the running stack the way a member, an operator and YClients would."""

from __future__ import annotations

import asyncio
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.integration.e2e.conftest import COMPANY_ID, ROOT, Stack

PASSWORD = "secret-pass-1"


@dataclass
class Member:
    id: int
    email: str
    phone: str
    token: str
    code: str | None = None


async def register(client: httpx.AsyncClient, stack: Stack, i: int, with_code: bool) -> Member:
    email, phone = f"member{i}@example.com", f"+7 916 000-{i // 100:02d}-{i % 100:02d}"
    r = await client.post(
        f"{stack.api}/api/v1/auth/register",
        json={"email": email, "password": PASSWORD, "phone": phone},
    )
    assert r.status_code == 201, r.text
    token = await login(client, stack, email)
    member = Member(r.json()["id"], email, phone, token)
    if with_code:
        form = await client.get(
            f"{stack.api}/api/v1/booking/form", headers={"Authorization": f"Bearer {token}"}
        )
        member.code = form.json()["unique_code"]
    return member


async def login(client: httpx.AsyncClient, stack: Stack, email: str) -> str:
    r = await client.post(
        f"{stack.api}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return str(r.json()["access_token"])


def create_admin(stack: Stack, email: str = "admin@example.com") -> None:
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "src.entrypoints.cli", "create-admin", email],
        env={**stack.env, "ADMIN_PASSWORD": PASSWORD}, capture_output=True, cwd=ROOT, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def visit_time(days: float) -> str:
    moment = datetime.now(UTC) + timedelta(days=days)
    return moment.replace(microsecond=0).isoformat()


async def create_record(
    client: httpx.AsyncClient, stack: Stack, record_id: int, *, price: int,
    comment: str = "", email: str = "", phone: str = "", days: float = 1,
) -> dict[str, Any]:  # fmt: skip
    body = {
        "id": record_id,
        "company_id": COMPANY_ID,
        "client": {"name": "Client", "phone": phone, "email": email},
        "comment": comment,
        "services": [{"title": "Service", "cost": price}],
        "datetime": visit_time(days),
    }
    r = await client.post(f"{stack.sim}/_control/records", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


async def set_attendance(client: httpx.AsyncClient, stack: Stack, rid: int, value: int) -> None:
    r = await client.patch(
        f"{stack.sim}/_control/records/{COMPANY_ID}/{rid}", json={"attendance": value}
    )
    assert r.status_code == 200, r.text


async def delete_record(client: httpx.AsyncClient, stack: Stack, rid: int) -> None:
    r = await client.delete(f"{stack.sim}/_control/records/{COMPANY_ID}/{rid}")
    assert r.status_code == 200, r.text


async def wait_inbox_settled(stack: Stack, expected_min: int, timeout: float = 90) -> None:
    """Until at least `expected_min` record events are stored and none is PENDING."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = await stack.scalar("SELECT count(*) FROM webhook_events")
        pending = await stack.scalar("SELECT count(*) FROM webhook_events WHERE state='PENDING'")
        if stored >= expected_min and pending == 0:
            return
        await asyncio.sleep(0.3)
    states = await stack.rows("SELECT state, count(*) FROM webhook_events GROUP BY state")
    raise TimeoutError(f"inbox not settled: {states}, wanted >= {expected_min} stored")


def points(price: int) -> Decimal:
    return (Decimal(price) / 100 * 3).quantize(Decimal("0.01"))
