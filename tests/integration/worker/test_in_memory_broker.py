"""The taskiq wiring without Redis (taskiq's in-memory broker): retries with a delay (the
event's own `retry_at`), DEAD after the last attempt, replay; and the CLI's answer when the
database is unreachable."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from src.adapters.tasks.taskiq_runner import TaskiqRunner, build_broker
from src.application.errors import GatewayError
from src.domain.inbox import EventState
from src.entrypoints.bootstrap import build_container, task_schedule
from src.entrypoints.settings import load_settings
from tests.factories import RecordFactory
from tests.fakes.auth import FakeHasher
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.yclients import FakeGateway
from tests.integration.e2e.conftest import ROOT

PARTIAL = b'{"company_id": 873456, "resource": "record", "resource_id": 77, "status": "update"}'


async def _until(check, seconds: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + seconds
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "condition never met"
        await asyncio.sleep(0.05)


async def test_failing_event_is_retried_then_dead_then_replayed() -> None:
    settings = load_settings(
        {"APP_ENV": "dev", "WEBHOOK_MAX_ATTEMPTS": "3", "WEBHOOK_RETRY_DELAY_SECONDS": "0.05"}
    )
    gateway = FakeGateway()
    gateway.put(RecordFactory.build(record_id=77))
    calls = 0

    async def failing(company_id: int, record_id: int) -> None:
        nonlocal calls
        calls += 1
        raise GatewayError("YClients answered 503")

    gateway.get_record = failing  # type: ignore[method-assign]
    factory = FakeUnitOfWorkFactory()
    broker = build_broker(task_schedule(settings))
    container = build_container(
        settings, uow_factory=factory, gateway=gateway, hasher=FakeHasher(),
        queue=TaskiqRunner(broker),
    )  # fmt: skip
    await broker.startup()
    try:
        event_id = (await container.accept_webhook(PARTIAL)).event_id

        async def dead() -> bool:
            return factory.store.events[event_id].state is EventState.DEAD

        await _until(dead)
        event = factory.store.events[event_id]
        assert (event.attempts, calls) == (3, 3)
        assert "503" in (event.last_error or "")

        del gateway.get_record  # the fault is gone
        await container.replay_webhook(event_id)

        async def processed() -> bool:
            return factory.store.events[event_id].state is EventState.PROCESSED

        await _until(processed)
        assert [b.record_id for b in factory.store.bookings.values()] == [77]
    finally:
        await broker.shutdown()
        await container.aclose()


def test_cli_names_an_unreachable_database_and_exits_non_zero() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "src.entrypoints.cli", "migrate"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DATABASE_URL": "postgresql+asyncpg://app:s3cret@127.0.0.1:1/salon",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3
    assert "cannot reach database 'salon' on 127.0.0.1:1" in done.stderr
    assert "s3cret" not in done.stderr + done.stdout
    assert "Traceback" not in done.stderr
