"""The `drain_inbox` task through taskiq's in-memory broker: a backlog accepted at once is
drained by a few `drain_inbox` tasks, not one task per event, and every event is processed
exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

from taskiq import TaskiqMessage, TaskiqMiddleware, TaskiqResult

from src.adapters.tasks.table import DRAIN_INBOX as PROCESS_INBOX
from src.adapters.tasks.table import RETRY_EVENT as PROCESS_WEBHOOK_EVENT
from src.adapters.tasks.taskiq_runner import TaskiqRunner, build_broker
from src.domain.inbox import EventState
from src.entrypoints.bootstrap import build_container, task_schedule
from src.entrypoints.settings import load_settings
from tests.fakes.auth import FakeHasher
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.yclients import FakeGateway
from tests.integration.http.conftest import webhook_body

EVENTS = 400
BATCH = 50


class _Executed(TaskiqMiddleware):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []

    def post_execute(self, message: TaskiqMessage, result: TaskiqResult[Any]) -> None:
        self.names.append(message.task_name)


async def test_a_backlog_is_drained_by_a_few_inbox_tasks_each_event_once() -> None:
    settings = load_settings({"APP_ENV": "dev", "INBOX_BATCH_SIZE": str(BATCH)})
    factory = FakeUnitOfWorkFactory()
    broker = build_broker(task_schedule(settings))
    executed = _Executed()
    broker.add_middlewares(executed)
    container = build_container(
        settings, uow_factory=factory, gateway=FakeGateway(), hasher=FakeHasher(),
        queue=TaskiqRunner(broker),
    )  # fmt: skip
    await broker.startup()
    try:
        bodies = [webhook_body(600_001 + n) for n in range(EVENTS)]
        accepted = await asyncio.gather(*(container.accept_webhook(b) for b in bodies))
        assert {a.status for a in accepted} == {"accepted"}
        deadline = asyncio.get_running_loop().time() + 30
        while any(e.state is EventState.PENDING for e in factory.store.events.values()):
            assert asyncio.get_running_loop().time() < deadline, "the backlog was not drained"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)  # let any task still queued finish, to count it
    finally:
        await broker.shutdown()
        await container.aclose()

    events = list(factory.store.events.values())
    assert len(events) == EVENTS
    # Processed once each: one attempt, one booking per record.
    assert {(e.state, e.attempts) for e in events} == {(EventState.PROCESSED, 1)}
    assert len(factory.store.bookings) == EVENTS
    assert PROCESS_WEBHOOK_EVENT not in executed.names
    drains = executed.names.count(PROCESS_INBOX)
    # Kicks are coalesced: a handful of drains, far fewer than events (one per batch at most,
    # plus the kicks of events that arrived while a drain was claiming).
    assert 1 <= drains <= EVENTS // 4, drains
