"""Issue 20 item 1 end to end, as the salon runs it: the API, a worker, the YClients simulator,
PostgreSQL and Redis. A member holds points; at checkout staff enter the discount in YClients
and capture the hold; the member's release is refused; the completion keeps the capture and
earns on the price paid; a cancellation after a capture gives the points back, once; a visit
completed at its full price with its hold captured is flagged on the checkout list."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import httpx
import pytest

from tests.integration.e2e.conftest import COMPANY_ID, Stack
from tests.integration.e2e.flows import (
    create_admin,
    create_record,
    delete_record,
    login,
    register,
    set_attendance,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("redis_available")]

BASE_ID = 820_000_000


async def _until(check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = await check()
        if got:
            return got
        await asyncio.sleep(0.3)
    raise TimeoutError(what)


async def test_hold_capture_at_checkout_refused_release_completion_and_reversal(
    stack: Stack,
) -> None:
    # Visits tomorrow; holds become the salon's 48 hours ahead, so today's run is "at the
    # desk" whatever the hour.
    stack.env["HOLD_LOCK_HOURS_BEFORE"] = "48"
    # Started as Stack.start_simulator / start_api do, with room for a loaded machine.
    sim = stack.start("simulator", sys.executable, "-m", "src.entrypoints.simulator")
    stack.wait_http(f"{stack.sim}/_control/stats", sim, timeout=180)
    api = stack.start("api", sys.executable, "-m", "src.entrypoints.cli", "serve")
    stack.wait_http(f"{stack.api}/health", api, timeout=180)
    stack.start_worker()
    create_admin(stack)
    async with httpx.AsyncClient(timeout=30) as client:
        await client.put(
            f"{stack.sim}/_control/webhook", json={"url": stack.env["SIMULATOR_WEBHOOK_URL"]}
        )
        admin = {"Authorization": f"Bearer {await login(client, stack, 'admin@example.com')}"}
        m = await register(client, stack, 1, with_code=True)
        member = {"Authorization": f"Bearer {m.token}"}
        gift = await client.post(
            f"{stack.api}/api/v1/admin/users/{m.id}/points",
            json={"amount": "1000", "reason": "gift"}, headers=admin,
        )  # fmt: skip
        assert gift.status_code == 201, gift.text
        paid, cancelled, full = BASE_ID + 1, BASE_ID + 2, BASE_ID + 3
        for rid in (paid, cancelled, full):
            await create_record(
                client, stack, rid, price=1000, comment=f"Код клиента: {m.code}", days=1
            )

        async def bookings() -> dict[int, dict[str, Any]]:
            r = await client.get(f"{stack.api}/api/v1/booking?limit=50", headers=member)
            return {b["yclients_record_id"]: b for b in r.json()["items"]}

        async def three() -> dict[int, dict[str, Any]] | None:
            found = await bookings()
            return found if len(found) == 3 else None

        visits = await _until(three, "three bookings linked")
        holds = {}
        for rid in (paid, cancelled, full):
            r = await client.post(
                f"{stack.api}/api/v1/loyalty/redemptions",
                json={"booking_id": visits[rid]["id"], "points": "300"}, headers=member,
            )  # fmt: skip
            assert r.status_code == 201, r.text
            holds[rid] = r.json()["id"]
        over = await client.post(  # the cap: 30 % of the price when the hold is made
            f"{stack.api}/api/v1/admin/users/{m.id}/redemptions",
            json={"points": "100", "reason": "more", "booking_id": visits[paid]["id"]},
            headers=admin,
        )  # fmt: skip
        assert over.status_code == 422 and "hold of 300.00 points" in over.text, over.text

        # At the desk: the checkout list, the discount entered in YClients, the capture.
        day = visits[paid]["appointment_datetime"][:10]
        listed = await client.get(f"{stack.api}/api/v1/admin/redemptions?date={day}", headers=admin)
        assert {line["redemption_id"] for line in listed.json()} == set(holds.values())
        discounted = await client.patch(
            f"{stack.sim}/_control/records/{COMPANY_ID}/{paid}",
            json={"services": [{"title": "Service", "cost": 700}]},
        )
        assert discounted.status_code == 200, discounted.text
        # The member tries to take the points back after the discount, before the capture.
        refused = await client.delete(
            f"{stack.api}/api/v1/loyalty/redemptions/{holds[paid]}", headers=member
        )
        assert refused.status_code == 409, refused.text
        assert "the held points are the salon's" in refused.text
        for rid in (paid, cancelled, full):
            captured = await client.post(
                f"{stack.api}/api/v1/admin/redemptions/{holds[rid]}/capture", headers=admin
            )
            assert captured.status_code == 200, captured.text
            assert captured.json()["state"] == "CAPTURED"
            assert captured.json()["captured_by"] is not None
        again = await client.post(
            f"{stack.api}/api/v1/admin/redemptions/{holds[paid]}/capture", headers=admin
        )
        assert again.status_code == 409, again.text

        after = await client.delete(
            f"{stack.api}/api/v1/loyalty/redemptions/{holds[paid]}", headers=member
        )
        assert after.status_code == 409 and "CAPTURED" in after.text, after.text

        # YClients reports: paid completes at 700, full completes at 1000, cancelled deleted.
        await set_attendance(client, stack, paid, 1)
        await set_attendance(client, stack, full, 1)
        await delete_record(client, stack, cancelled)

        async def settled() -> bool:
            found = await bookings()
            states = {
                r.state
                for r in await stack.rows(
                    "SELECT state FROM loyalty_redemptions WHERE id = :i", i=holds[cancelled]
                )
            }
            return (
                found[paid]["status"] == "COMPLETED"
                and found[full]["status"] == "COMPLETED"
                and found[cancelled]["status"] == "CANCELLED"
                and states == {"REVERSED"}
            )

        await _until(settled, "the visits completed and the cancellation reversed")
        rows = await stack.rows(
            "SELECT redemption_id, kind, amount FROM loyalty_transactions "
            "WHERE redemption_id IS NOT NULL ORDER BY id"
        )
        by = {rid: [(r.kind, str(r.amount)) for r in rows if r.redemption_id == holds[rid]]
              for rid in holds}  # fmt: skip
        assert by[paid] == [("HOLD", "-300.00")]
        assert by[full] == [("HOLD", "-300.00")]
        assert by[cancelled] == [("HOLD", "-300.00"), ("RELEASE", "300.00")]
        loyalty = (await client.get(f"{stack.api}/api/v1/loyalty", headers=member)).json()
        # 1000 - 300 (paid) - 300 (full) + 3 % of 700 + 3 % of 1000
        assert loyalty["balance"] == "451.00"
        states = (
            await client.get(f"{stack.api}/api/v1/loyalty/redemptions", headers=member)
        ).json()
        assert {r["id"]: r["state"] for r in states["items"]} == {
            holds[paid]: "CAPTURED", holds[cancelled]: "REVERSED", holds[full]: "CAPTURED",
        }  # fmt: skip
        # The flag: completed at its full pre-hold price while its hold is captured.
        captured = await client.get(
            f"{stack.api}/api/v1/admin/redemptions?date={day}&state=captured", headers=admin
        )
        flags = {line["redemption_id"]: line["discount_missing"] for line in captured.json()}
        assert flags == {holds[paid]: False, holds[full]: True}
        # A cancelled visit takes no staff spending either.
        late = await client.post(
            f"{stack.api}/api/v1/admin/users/{m.id}/redemptions",
            json={"points": "50", "reason": "x", "booking_id": visits[cancelled]["id"]},
            headers=admin,
        )  # fmt: skip
        assert late.status_code == 422 and "CANCELLED" in late.text, late.text
