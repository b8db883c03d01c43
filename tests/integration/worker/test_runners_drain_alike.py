"""Issue 21: one drain, two runners. The embedded run's in-process runner and the taskiq
runner over a Redis stream (a worker's receiver and the scheduler's retry source, in this
process) drain the same backlog to the same outcome, failed events included: each retried
at its own `retry_at` and DEAD after `WEBHOOK_MAX_ATTEMPTS`."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import redis.asyncio as redis
from taskiq import TaskiqScheduler
from taskiq.cli.scheduler.run import SchedulerLoop
from taskiq.receiver import Receiver

from src.adapters.tasks.in_process import InProcessRunner
from src.adapters.tasks.taskiq_runner import TaskiqRunner, build_broker
from src.application.ports.tasks import TaskQueue
from src.domain.inbox import EventState
from src.entrypoints.bootstrap import build_container, task_schedule
from src.entrypoints.settings import Settings, load_settings
from tests.fakes.auth import FakeHasher
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.yclients import FakeGateway
from tests.integration.http.conftest import webhook_body

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
GOOD = 40
BROKEN = (77, 78)  # partial `data`, and YClients does not know the record: fails every time


def _partial(record_id: int) -> bytes:
    return (
        b'{"company_id": 873456, "resource": "record", "resource_id": %d, "status": "update"}'
        % record_id
    )


@contextlib.asynccontextmanager
async def _in_process(settings: Settings) -> AsyncIterator[TaskQueue]:
    yield InProcessRunner()


@contextlib.asynccontextmanager
async def _redis(settings: Settings) -> AsyncIterator[TaskQueue]:
    """What `just worker` and `just scheduler` run, as tasks of this process."""
    broker = build_broker(
        task_schedule(settings), redis_url=settings.REDIS_URL, queue_name=settings.TASK_QUEUE_NAME
    )
    broker.is_worker_process = True
    await broker.startup()
    scheduler = TaskiqScheduler(broker, [broker.state.retry_source])  # the retries only
    await scheduler.startup()
    finish = asyncio.Event()
    worker = asyncio.create_task(Receiver(broker, run_startup=False).listen(finish))
    loop = asyncio.create_task(
        SchedulerLoop(scheduler).run(
            update_interval=timedelta(seconds=1), loop_interval=timedelta(milliseconds=100)
        )
    )
    try:
        yield TaskiqRunner(broker)
        await asyncio.sleep(0.3)  # the last acknowledgements
    finally:
        finish.set()
        for task in (worker, loop):
            task.cancel()
        await asyncio.gather(worker, loop, return_exceptions=True)
        await scheduler.shutdown()
        await broker.shutdown()
        client = redis.Redis.from_url(REDIS_URL)
        keys = [k async for k in client.scan_iter(f"{settings.TASK_QUEUE_NAME}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


@pytest.mark.parametrize("runner", [_in_process, _redis], ids=["in-process", "redis"])
async def test_both_runners_drain_a_backlog_to_the_same_outcome(runner) -> None:  # type: ignore[no-untyped-def]
    settings = load_settings({"APP_ENV": "dev",
        "REDIS_URL": REDIS_URL, "TASK_QUEUE_NAME": f"test-runners-{uuid.uuid4().hex[:10]}",
        "INBOX_BATCH_SIZE": "10", "WEBHOOK_MAX_ATTEMPTS": "3",
        "WEBHOOK_RETRY_DELAY_SECONDS": "0.5",
    })  # fmt: skip
    factory = FakeUnitOfWorkFactory()
    async with runner(settings) as queue:
        container = build_container(
            settings, uow_factory=factory, gateway=FakeGateway(), hasher=FakeHasher(),
            queue=queue,
        )  # fmt: skip
        bodies = [webhook_body(700_001 + n) for n in range(GOOD)] + [_partial(i) for i in BROKEN]
        accepted = await asyncio.gather(*(container.accept_webhook(b) for b in bodies))
        assert {a.status for a in accepted} == {"accepted"}
        deadline = asyncio.get_running_loop().time() + 60
        while any(e.state is EventState.PENDING for e in factory.store.events.values()):
            assert asyncio.get_running_loop().time() < deadline, "the backlog was not drained"
            await asyncio.sleep(0.05)
        await container.aclose()

    outcome = {
        e.resource_id: (e.state, e.attempts, "not in YClients" in (e.last_error or ""))
        for e in factory.store.events.values()
    }
    assert outcome == {
        **{700_001 + n: (EventState.PROCESSED, 1, False) for n in range(GOOD)},
        **{i: (EventState.DEAD, 3, True) for i in BROKEN},
    }
    assert sorted(b.record_id for b in factory.store.bookings.values()) == [
        700_001 + n for n in range(GOOD)
    ]
