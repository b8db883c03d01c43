"""The service as it runs in production: API + two workers + scheduler + simulator,
PostgreSQL and Redis, webhooks duplicated and out of order, then a sync."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from decimal import Decimal

import httpx
import pytest

from tests.integration.e2e.conftest import COMPANY_ID, Stack
from tests.integration.e2e.flows import (
    create_admin,
    create_record,
    delete_record,
    login,
    points,
    register,
    set_attendance,
    wait_inbox_settled,
)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("redis_available")]

N_RECORDS = 200
N_MEMBERS = 60
BASE_ID = 800_000_000


async def test_webhooks_twice_out_of_order_then_sync_end_exactly_right(stack: Stack) -> None:
    stack.start_simulator()
    stack.start_api()
    stack.start_worker("worker-a")
    stack.start_worker("worker-b")
    stack.start_scheduler()
    create_admin(stack)
    rng = random.Random(20261125)
    async with httpx.AsyncClient(timeout=30) as client:
        await client.put(
            f"{stack.sim}/_control/webhook",
            json={"url": stack.env["SIMULATOR_WEBHOOK_URL"], "duplicate": True},
        )
        members = [await register(client, stack, i, with_code=i < 20) for i in range(N_MEMBERS)]

        # kind 0: code in the comment; 1: email; 2: phone in another format; 3: nobody
        expected_user: dict[int, int | None] = {}
        prices: dict[int, int] = {}
        for i in range(N_RECORDS):
            rid, kind, price = BASE_ID + i, i % 4, 1000 + 100 * (i % 7)
            m = members[(kind * 20) + (i // 4) % 20] if kind < 3 else None
            kwargs: dict[str, object] = {"price": price, "days": rng.choice([-2, -1, 1, 2, 3])}
            if kind == 0:
                kwargs["comment"] = f"Запись из приложения\nКод клиента: {m.code}"  # type: ignore[union-attr]
            elif kind == 1:
                kwargs["email"] = m.email.upper()  # type: ignore[union-attr]
            elif kind == 2:
                kwargs["phone"] = "8" + m.phone[2:].replace("-", " ")  # type: ignore[union-attr]
            else:
                kwargs["email"] = f"walk-in-{i}@example.com"
            await create_record(client, stack, rid, **kwargs)  # type: ignore[arg-type]
            expected_user[rid] = m.id if m else None
            prices[rid] = price

        completed = [BASE_ID + i for i in range(0, N_RECORDS, 2)]
        for rid in completed:
            await set_attendance(client, stack, rid, 1)
        cancelled = completed[::5]  # some completed visits are cancelled afterwards
        no_show = completed[1::7]
        for rid in cancelled:
            await delete_record(client, stack, rid)
        for rid in no_show:
            if rid not in cancelled:
                await set_attendance(client, stack, rid, -1)

        # Out of order: replay some of the oldest deliveries (creates) after everything else.
        deliveries = (await client.get(f"{stack.sim}/_control/webhook/deliveries")).json()
        creates = [d for d in deliveries if '"status":"create"' in d.get("body", "")][:30]
        for d in creates:
            await client.post(f"{stack.sim}/_control/webhook/send", content=d["body"])

        await wait_inbox_settled(stack, expected_min=N_RECORDS)
        admin = await login(client, stack, "admin@example.com")
        run = await client.post(
            f"{stack.api}/api/v1/yclients/sync-bookings?wait=true",
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert run.status_code == 200, run.text
        assert run.json()["status"] == "SUCCEEDED", run.json()
        assert run.json()["fetched"] == N_RECORDS

    rows = await stack.rows(
        "SELECT yclients_record_id, status, user_id, bonus_points, loyalty_bonuses_awarded "
        "FROM bookings WHERE company_id = :c",
        c=COMPANY_ID,
    )
    assert len(rows) == N_RECORDS
    balances: dict[int, Decimal] = defaultdict(Decimal)
    for rid, status, user_id, bonus, flag in rows:
        if rid in cancelled:
            want = "CANCELLED"
        elif rid in no_show:
            want = "NO_SHOW"
        elif rid in completed:
            want = "COMPLETED"
        else:
            want = "PENDING"
        assert (rid, status, user_id) == (rid, want, expected_user[rid])
        due = points(prices[rid]) if want == "COMPLETED" and user_id else Decimal("0.00")
        assert (bonus, flag) == (due, due > 0), rid
        if user_id:
            balances[user_id] += due

    stored = dict(await stack.rows("SELECT user_id, balance FROM loyalty_accounts"))
    ledger = dict(
        await stack.rows("SELECT user_id, sum(amount) FROM loyalty_transactions GROUP BY user_id")
    )
    for m in members:
        assert stored.get(m.id, Decimal(0)) == balances[m.id] == ledger.get(m.id, Decimal(0))
    dup_steps = await stack.scalar(
        "SELECT count(*) FROM (SELECT booking_id, step FROM loyalty_transactions "
        "GROUP BY booking_id, step HAVING count(*) > 1) d"
    )
    assert dup_steps == 0
    accruals = await stack.scalar(
        "SELECT count(*) FROM loyalty_transactions WHERE kind = 'ACCRUAL'"
    )
    assert accruals <= len([r for r in completed if expected_user[r]])


async def test_worker_killed_mid_flight_loses_nothing(stack: Stack) -> None:
    stack.start_simulator()
    stack.start_api()
    stack.start_scheduler()
    async with httpx.AsyncClient(timeout=30) as client:
        members = [await register(client, stack, i, with_code=True) for i in range(10)]
        await client.put(
            f"{stack.sim}/_control/webhook", json={"url": stack.env["SIMULATOR_WEBHOOK_URL"]}
        )
        ids = []
        for i in range(120):
            rid = BASE_ID + 10_000 + i
            m = members[i % 10]
            await create_record(
                client, stack, rid, price=2000, comment=f"Код клиента: {m.code}", days=-1
            )
            await set_attendance(client, stack, rid, 1)
            ids.append(rid)
        await client.get(f"{stack.sim}/_control/webhook/deliveries")  # all sent and stored
        # Batches of two: a drain of 200 would take the whole backlog before the first poll,
        # and the point is to kill the worker with work claimed and unfinished.
        victim = stack.start_worker("victim", INBOX_BATCH_SIZE="2")
        # Let it take messages and process some, then kill it mid-flight.
        while (
            await stack.scalar("SELECT count(*) FROM webhook_events WHERE state='PROCESSED'") < 20
        ):
            await asyncio.sleep(0.01)
        stack.kill(victim)
        left = await stack.scalar("SELECT count(*) FROM webhook_events WHERE state='PENDING'")
        assert left > 0, "the victim finished everything before it was killed"
        stack.start_worker("rescuer")
        await wait_inbox_settled(stack, expected_min=240, timeout=120)

    per_member = Decimal(12) * points(2000)
    for m in members:
        balance = await stack.scalar(
            "SELECT balance FROM loyalty_accounts WHERE user_id = :u", u=m.id
        )
        assert balance == per_member
    assert await stack.scalar("SELECT count(*) FROM loyalty_transactions") == 120
    assert await stack.scalar("SELECT count(*) FROM webhook_events WHERE state='PENDING'") == 0


async def test_failing_event_retries_goes_dead_and_replays(stack: Stack) -> None:
    stack.start_simulator()
    stack.start_api()
    stack.start_worker()
    stack.start_scheduler()
    create_admin(stack)
    async with httpx.AsyncClient(timeout=30) as client:
        m = await register(client, stack, 1, with_code=True)
        rid = BASE_ID + 20_000
        await create_record(client, stack, rid, price=3000, comment=f"Код клиента: {m.code}")
        await set_attendance(client, stack, rid, 1)
        # YClients fails on this record; the webhook carries no data, so it must be fetched.
        await client.put(f"{stack.sim}/_control/faults", json={"fail_record_ids": [rid]})
        body = (
            f'{{"company_id": {COMPANY_ID}, "resource": "record", "resource_id": {rid}, '
            f'"status": "update", "data": {{}}}}'
        )
        hook = stack.env["SIMULATOR_WEBHOOK_URL"]
        accepted = await client.post(hook, content=body)
        assert accepted.status_code == 200, accepted.text
        event_id = accepted.json()["event_id"]
        dead = await _wait_state(stack, event_id, "DEAD", timeout=60)
        assert dead[0] == 3 and "500" in (dead[1] or "")  # attempts, last error

        await client.put(f"{stack.sim}/_control/faults", json={})
        admin = await login(client, stack, "admin@example.com")
        replay = await client.post(
            f"{stack.api}/api/v1/admin/webhook-events/{event_id}/replay",
            headers={"Authorization": f"Bearer {admin}"},
        )
        assert replay.status_code in (200, 202), replay.text
        await _wait_state(stack, event_id, "PROCESSED", timeout=30)
    balance = await stack.scalar("SELECT balance FROM loyalty_accounts WHERE user_id = :u", u=m.id)
    assert balance == points(3000)


async def _wait_state(stack: Stack, event_id: int, state: str, timeout: float) -> tuple:  # type: ignore[type-arg]
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        row = await stack.rows(
            "SELECT state, attempts, last_error FROM webhook_events WHERE id = :i", i=event_id
        )
        if row and row[0][0] == state:
            return (row[0][1], row[0][2])
        await asyncio.sleep(0.3)
    raise TimeoutError(f"event {event_id} never reached {state}: {row}")


async def test_two_syncs_of_one_company_at_once_one_is_skipped(stack: Stack) -> None:
    stack.start_simulator()
    stack.start_api()
    stack.start_worker("worker-a")
    stack.start_worker("worker-b")
    create_admin(stack)
    async with httpx.AsyncClient(timeout=60) as client:
        await client.post(
            f"{stack.sim}/_control/generate", json={"company_id": COMPANY_ID, "count": 2000}
        )
        # Slow pages keep the first sync running while the second one starts.
        await client.put(
            f"{stack.sim}/_control/faults",
            json={"rate": 1.0, "kinds": {"slow": 1.0}, "slow_seconds": 0.3},
        )
        admin = await login(client, stack, "admin@example.com")
        headers = {"Authorization": f"Bearer {admin}"}
        url = f"{stack.api}/api/v1/yclients/sync-bookings?wait=true"
        first, second = await asyncio.gather(
            client.post(url, headers=headers), client.post(url, headers=headers)
        )
    statuses = sorted([first.json()["status"], second.json()["status"]])
    assert statuses == ["SKIPPED", "SUCCEEDED"], (first.text, second.text)
    runs = await stack.rows("SELECT status, error FROM sync_runs ORDER BY id")
    assert sorted(r[0] for r in runs) == ["SKIPPED", "SUCCEEDED"]
    assert any(r[1] == "skipped: already running" for r in runs)
