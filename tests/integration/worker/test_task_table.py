"""Issue 21 item 4: one task table and one schedule table. A message queued under an old
task name before an upgrade is still processed, and both runners read the same schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from taskiq.kicker import AsyncKicker
from taskiq.schedule_sources import LabelScheduleSource

from src.adapters.tasks.in_process import InProcessRunner, next_cron
from src.adapters.tasks.table import ALIASES, RECONCILE_POINTS, TASKS
from src.adapters.tasks.taskiq_runner import TaskiqRunner, build_broker
from src.domain.inbox import EventState
from src.domain.sync_schedule import tick_seconds
from src.entrypoints.bootstrap import build_container, task_schedule
from src.entrypoints.settings import load_settings
from src.entrypoints.worker import worker_broker
from tests.fakes.auth import FakeHasher
from tests.fakes.tasks import FakeQueue
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.yclients import FakeGateway
from tests.integration.http.conftest import webhook_body


async def test_messages_under_the_old_task_names_are_still_processed() -> None:
    settings = load_settings({"APP_ENV": "dev"})
    broker = build_broker(task_schedule(settings))
    factory = FakeUnitOfWorkFactory()
    container = build_container(
        settings, uow_factory=factory, gateway=FakeGateway(), hasher=FakeHasher(),
        queue=TaskiqRunner(broker),
    )  # fmt: skip
    # Stored with the kicks of the old release not made (as if queued before the upgrade).
    accept = build_container(
        settings, uow_factory=factory, gateway=FakeGateway(), hasher=FakeHasher(),
        queue=FakeQueue(),
    ).accept_webhook  # fmt: skip
    first = (await accept(webhook_body(610_001))).event_id
    second = (await accept(webhook_body(610_002, company_id=873456))).event_id
    await broker.startup()
    try:
        assert set(ALIASES) == {"process_inbox", "process_webhook_event"}
        await AsyncKicker("process_webhook_event", broker, {}).kiq(first)
        await AsyncKicker("process_inbox", broker, {}).kiq(873456)
        await broker.wait_all()  # type: ignore[attr-defined]
    finally:
        await broker.shutdown()
        await container.aclose()
    states = {i: factory.store.events[i].state for i in (first, second)}
    assert states == {first: EventState.PROCESSED, second: EventState.PROCESSED}


async def test_both_runners_read_the_one_schedule_table() -> None:
    settings = load_settings({"APP_ENV": "dev", "SYNC_INTERVAL_MINUTES": "7"})
    table = task_schedule(settings)
    # taskiq's scheduler: the labels of the worker's broker, as its LabelScheduleSource reads them.
    source = LabelScheduleSource(worker_broker(settings))
    await source.startup()
    scheduled = {
        (s.task_name, s.cron, s.interval, tuple(s.args)) for s in await source.get_schedules()
    }
    expected = {(e.task, e.cron, None if e.cron else round(e.seconds or 0), e.args) for e in table}
    assert scheduled == expected
    assert (RECONCILE_POINTS, "15 3 * * *", None, (False,)) in scheduled
    # The sync entry is the tick that enqueues the salons whose slot has come.
    assert ("sync_all", None, tick_seconds(7 * 60), ("schedule",)) in scheduled

    # The in-process runner: the same entries, kicked at the same times (no task runs here).
    runner = InProcessRunner()
    started: list[tuple[str, tuple[object, ...]]] = []
    runner.run = lambda name, *args, delay=0.0: started.append((name, args))  # type: ignore[method-assign]
    runner.start_schedule(table)
    await asyncio.sleep(0.05)
    await runner.stop()
    at_start = [(e.task, e.at_start) for e in table if e.at_start is not None]
    every = [(e.task, e.args) for e in table if e.seconds is not None]
    assert sorted(started, key=str) == sorted(at_start + every, key=str)  # type: ignore[arg-type]
    assert next_cron("15 3 * * *", datetime(2030, 1, 15, 12, 0, tzinfo=UTC)) == datetime(
        2030, 1, 16, 3, 15, tzinfo=UTC
    )
    assert set(TASKS) >= {e.task for e in table}
