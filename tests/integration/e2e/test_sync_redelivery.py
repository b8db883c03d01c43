"""A long sync outlives TASK_REDELIVERY_SECONDS: Redis hands its message to the other worker
process while the first is still syncing. The redelivered task must neither start a second
sync nor touch the live run's row, so `wait=true` answers the finished run."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.integration.e2e.conftest import COMPANY_ID, Stack
from tests.integration.e2e.flows import create_admin, login

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("redis_available")]

RECORDS = 3000  # 15 pages of 200
SLOW_PAGE_SECONDS = 1.2  # ≈ 18 s of sync, redelivery after 3 s (TASK_REDELIVERY_SECONDS)


async def test_sync_task_redelivered_while_its_run_is_alive_runs_once_and_keeps_the_row(
    stack: Stack,
) -> None:
    stack.start_simulator()
    stack.start_api()
    workers = [stack.start_worker("worker-a"), stack.start_worker("worker-b")]
    create_admin(stack)
    async with httpx.AsyncClient(timeout=120) as client:
        await client.post(
            f"{stack.sim}/_control/generate", json={"company_id": COMPANY_ID, "count": RECORDS}
        )
        await client.put(
            f"{stack.sim}/_control/faults",
            json={"rate": 1.0, "kinds": {"slow": 1.0}, "slow_seconds": SLOW_PAGE_SECONDS},
        )
        admin = await login(client, stack, "admin@example.com")
        request = asyncio.create_task(
            client.post(
                f"{stack.api}/api/v1/yclients/sync-bookings?wait=true",
                headers={"Authorization": f"Bearer {admin}"},
            )
        )
        for _ in range(300):
            if await stack.scalar("SELECT status FROM sync_runs WHERE trigger = 'manual'") == (
                "RUNNING"
            ):
                break
            await asyncio.sleep(0.05)
        # taskiq-redis reclaims idle messages only after reading new ones: the scheduler's
        # inbox sweep (every 2 s here) is the traffic that makes it look, as in production.
        # Started once the sync runs, so its own first sync_all is the one skipped.
        stack.start_scheduler()
        response = await request
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "SUCCEEDED", body  # not SKIPPED, not returned early
    # (The scheduler's own first sync_all may add a SKIPPED "schedule" run.)
    runs = await stack.rows("SELECT status, fetched, error FROM sync_runs WHERE trigger = 'manual'")
    assert [(r[0], r[1], r[2]) for r in runs] == [("SUCCEEDED", RECORDS, None)]
    logs = "".join(w.log.read_text() for w in workers)
    # The message was redelivered (the scenario happened) and left the live run alone.
    assert "sync_task_left_alone" in logs, logs[-3000:]
    assert logs.count("sync_run_finished") == 1
