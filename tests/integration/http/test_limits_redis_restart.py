"""Issue 20, item 9: the limits' Redis connections survive a restart, and a Redis that stays
down gives the documented fallback (this process's memory), never a 500."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid

import pytest
from redis.asyncio import Redis

from src.adapters.attempts import RedisAttemptCounters, RedisLoginStreaks, limits_redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def _kill_clients(name: str) -> int:
    """CLIENT KILL every connection named `name` (as a Redis restart drops them all)."""
    admin = Redis.from_url(REDIS_URL)
    try:
        ids = [c["id"] for c in await admin.client_list() if c.get("name") == name]
        for client_id in ids:
            await admin.client_kill_filter(_id=client_id)
        return len(ids)
    finally:
        await admin.aclose()


async def test_stale_pooled_connections_after_a_redis_restart_answered_500() -> None:
    """The first use of each pooled connection Redis had dropped raised ConnectionError
    (a 500 on registration right after a restart); now it reconnects and retries."""
    name = f"test-limits-{uuid.uuid4().hex[:8]}"
    prefix = f"test-restart-{uuid.uuid4().hex}"
    counters = RedisAttemptCounters(limits_redis(REDIS_URL, client_name=name), prefix)
    streaks = RedisLoginStreaks(limits_redis(REDIS_URL, client_name=name), prefix + ":streak")
    try:
        # Several pooled connections, as concurrent requests leave them.
        await asyncio.gather(*(counters.hit([(f"k{i}", 100)], 60) for i in range(6)))
        await asyncio.gather(*(streaks.admit(f"a{i}") for i in range(6)))
        assert await _kill_clients(name) >= 2
        for i in range(8):  # every stale connection is used once more
            assert await counters.hit([("after", 100)], 60) is None
            assert await streaks.admit(f"b{i}") is None
        # Redis itself, not the in-process fallback, counted them.
        assert int(await counters.redis.get(f"{prefix}:60:after:{int(time.time() // 60)}")) in (
            8,
            *range(1, 8),  # a minute boundary between the hits
        )
        assert len(counters.fallback) == 0
    finally:
        keys = [k async for k in counters.redis.scan_iter(f"{prefix}*")]
        if keys:
            await counters.redis.delete(*keys)
        await counters.aclose()
        await streaks.aclose()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_redis_that_stays_down_falls_back_to_process_memory(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    counters = RedisAttemptCounters.from_url(url, "down")
    streaks = RedisLoginStreaks.from_url(url, "down")
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="src.adapters.attempts"):
        assert await counters.hit([("k", 2)], 60) is None
        assert await counters.hit([("k", 2)], 60) is None
        retry = await counters.hit([("k", 2)], 60)  # the limit still holds, per process
        for _ in range(5):
            assert await streaks.admit("acct") is None  # the free tries
        wait = await streaks.admit("acct")
        await streaks.clear("other")
    assert retry is not None and retry >= 1
    assert wait is not None and wait >= 1
    assert time.monotonic() - started < 30
    lines = [r for r in caplog.records if r.getMessage() == "limits_redis_unavailable"]
    assert lines and {r.__dict__["limits"] for r in lines} == {
        "attempt counters",
        "login back-off",
    }
    assert len(lines) == 2  # once a minute per kind, not once per call
    await counters.aclose()
    await streaks.aclose()
