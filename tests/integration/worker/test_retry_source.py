"""The delayed retries' Redis source scans the keyspace for past minutes' schedules at most
once a minute (taskiq-redis scans at every one-second poll: the scheduler's CPU grew with
every key in Redis), and still finds a schedule left in a past minute."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

from taskiq import ScheduledTask

from src.adapters.tasks.retry_source import RetrySource

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_past_minutes_are_scanned_once_a_minute_and_still_found() -> None:
    now = [0.0]
    source = RetrySource(
        REDIS_URL, prefix=f"test-retry-{uuid.uuid4().hex[:8]}", clock=lambda: now[0]
    )
    scans = 0
    scan = source._get_previous_time_schedules

    async def counting() -> list[bytes]:
        nonlocal scans
        scans += 1
        return await scan()

    source._get_previous_time_schedules = counting  # type: ignore[method-assign]
    await source.startup()
    try:
        for t in (0.0, 1.0, 2.0, 30.0, 59.0):
            now[0] = t
            assert await source.get_schedules() == []
        assert scans == 1
        # A retry for a minute already past (added after that minute's polls): found at
        # the next scan, a minute later at most.
        missed = ScheduledTask(
            task_name="retry_event", labels={}, args=[1], kwargs={},
            time=datetime.now(UTC) - timedelta(minutes=3), schedule_id=uuid.uuid4().hex,
        )  # fmt: skip
        await source.add_schedule(missed)
        now[0] = 60.0
        found = await source.get_schedules()
        assert scans == 2
        assert [s.schedule_id for s in found] == [missed.schedule_id]
        await source.delete_schedule(missed.schedule_id)
    finally:
        await source.shutdown()
