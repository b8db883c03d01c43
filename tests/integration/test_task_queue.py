"""The task queue over a real Redis stream: webhook tasks enqueued together go out in one
pipeline, each message as taskiq's own `kiq` would have sent it."""

from __future__ import annotations

import asyncio
import json
import os
import uuid

import redis.asyncio as redis

from src.adapters.tasks.gate import DRAIN_MARKER_SECONDS
from src.adapters.tasks.table import DRAIN_INBOX as PROCESS_INBOX
from src.adapters.tasks.table import RETRY_EVENT as PROCESS_WEBHOOK_EVENT
from src.adapters.tasks.taskiq_runner import TaskiqRunner as TaskiqQueue
from src.adapters.tasks.taskiq_runner import drain_gate as drain_markers
from src.entrypoints.settings import load_settings
from src.entrypoints.worker import worker_broker as build_broker

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


async def test_concurrent_webhook_tasks_are_each_sent_once_with_the_task_labels() -> None:
    queue_name = f"test-queue-{uuid.uuid4().hex[:10]}"
    settings = load_settings(
        {"APP_ENV": "dev", "REDIS_URL": REDIS_URL, "TASK_QUEUE_NAME": queue_name}
    )
    broker = build_broker(settings)
    client = redis.Redis.from_url(REDIS_URL)
    await broker.startup()
    try:
        queue = TaskiqQueue(broker)
        await asyncio.gather(*(queue.retry_event(n) for n in range(1, 51)))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while await client.xlen(queue_name) < 50 and loop.time() < deadline:
            await asyncio.sleep(0.02)  # sent in the background, after the callers returned
        entries = await client.xrange(queue_name)
        messages = [json.loads(fields[b"data"]) for _, fields in entries]
        assert sorted(m["args"][0] for m in messages) == list(range(1, 51))
        assert {m["task_name"] for m in messages} == {PROCESS_WEBHOOK_EVENT}
        assert len({m["task_id"] for m in messages}) == 50
        # No task retries: an event's one retry policy is its own `retry_at` (issue 21).
        assert "retry_on_error" not in messages[0]["labels"]
    finally:
        await broker.shutdown()
        keys = [k async for k in client.scan_iter(f"{queue_name}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_inbox_drains_are_kicked_once_until_the_drain_clears_its_marker() -> None:
    """Concurrent kicks of one company's drain send one message while it waits; once the
    drain clears the marker (before it claims), the next kick sends another."""
    queue_name = f"test-queue-{uuid.uuid4().hex[:10]}"
    settings = load_settings(
        {"APP_ENV": "dev", "REDIS_URL": REDIS_URL, "TASK_QUEUE_NAME": queue_name}
    )
    broker = build_broker(settings)
    client = redis.Redis.from_url(REDIS_URL)
    await broker.startup()

    async def messages(count: int) -> list[dict[str, object]]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while await client.xlen(queue_name) < count and loop.time() < deadline:
            await asyncio.sleep(0.02)  # sent in the background
        await asyncio.sleep(0.1)  # and nothing more comes
        return [json.loads(f[b"data"]) for _, f in await client.xrange(queue_name)]

    try:
        queue = TaskiqQueue(broker)
        await asyncio.gather(*(queue.kick_drain(873456) for _ in range(50)))
        await asyncio.gather(*(queue.kick_drain(873457) for _ in range(3)))
        sent = await messages(2)
        assert sorted(m["args"] for m in sent) == [[873456], [873457]]  # type: ignore[type-var]
        assert {m["task_name"] for m in sent} == {PROCESS_INBOX}
        await queue.kick_drain(873456)
        assert len(await messages(3)) == 2  # still queued: coalesced

        await drain_markers(broker).clear(873456)  # what the drain does before each claim
        await queue.kick_drain(873456)
        assert [m["args"] for m in await messages(3)][-1] == [873456]
        # The marker expires on its own: a lost message delays the next kick, no more.
        ttl = await client.pttl(f"{queue_name}:inbox-drain:873456")
        assert 0 < ttl <= DRAIN_MARKER_SECONDS * 1000
    finally:
        await broker.shutdown()
        keys = [k async for k in client.scan_iter(f"{queue_name}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
