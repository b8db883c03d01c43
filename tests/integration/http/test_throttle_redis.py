"""With REDIS_URL the login counters are shared by every API process."""

from __future__ import annotations

import os
import uuid

import pytest
from litestar.exceptions import TooManyRequestsException
from redis.asyncio import Redis

from src.adapters.attempts import RedisAttemptCounters
from src.entrypoints.web.throttle import LoginThrottle

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_login_counters_are_shared_through_redis() -> None:
    prefix = f"test-throttle-{uuid.uuid4().hex}"
    now = [1_000_000.0]
    first = RedisAttemptCounters(Redis.from_url(REDIS_URL), prefix, clock=lambda: now[0])
    second = RedisAttemptCounters(Redis.from_url(REDIS_URL), prefix, clock=lambda: now[0])
    throttle = LoginThrottle(2, 60)
    try:
        await throttle.hit(first, "10.0.0.1", "a@example.com")
        await throttle.hit(second, "10.0.0.1", "a@example.com")  # another process
        with pytest.raises(TooManyRequestsException) as caught:
            await throttle.hit(first, "10.0.0.1", "a@example.com")
        assert 1 <= int(caught.value.headers["Retry-After"]) <= 120
        await throttle.hit(second, "10.0.0.2", "b@example.com")
        for i in range(3, 8):  # the account across addresses: 3x the limit (6)
            await throttle.hit(second if i % 2 else first, f"10.0.0.{i}", "b@example.com")
        with pytest.raises(TooManyRequestsException):
            await throttle.hit(first, "10.0.0.99", "b@example.com")
        now[0] += 121  # two windows later everything is forgotten
        await throttle.hit(first, "10.0.0.1", "a@example.com")
    finally:
        keys = [k async for k in first.redis.scan_iter(f"{prefix}:*")]
        if keys:
            await first.redis.delete(*keys)
        await first.aclose()
        await second.aclose()
