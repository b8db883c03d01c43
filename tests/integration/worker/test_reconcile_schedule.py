"""Issue 13 item 6 wiring: the points reconciliation is scheduled daily, and the embedded
schedule runs it at start when LOYALTY_ENABLED changed (a visit completed while loyalty was
off is credited without any sync)."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from src.adapters.tasks.table import RECONCILE_POINTS, RECONCILE_POINTS_CRON
from src.application.use_cases.reconcile_points import LOYALTY_SWITCH
from src.domain.booking import BookingStatus
from src.domain.record import ServiceLine
from src.entrypoints.bootstrap import build_container
from src.entrypoints.runtime import Runtime
from src.entrypoints.settings import load_settings
from src.entrypoints.worker import worker_broker
from tests.factories import RecordFactory
from tests.fakes.auth import FakeHasher
from tests.fakes.uow import FakeUnitOfWorkFactory
from tests.fakes.yclients import FakeGateway


def test_reconciliation_is_scheduled_daily() -> None:
    broker = worker_broker(load_settings({"APP_ENV": "dev"}))
    task = broker.find_task(RECONCILE_POINTS)
    assert task is not None
    assert task.labels["schedule"] == [{"cron": RECONCILE_POINTS_CRON, "args": [False]}]


async def test_embedded_start_reconciles_after_the_loyalty_switch_changed() -> None:
    settings = load_settings({"APP_ENV": "dev", "LOYALTY_ENABLED": "false"})
    factory = FakeUnitOfWorkFactory()
    container = build_container(
        settings, uow_factory=factory, gateway=FakeGateway(), hasher=FakeHasher()
    )
    maria = await container.register("maria@example.com", "secret123")
    comment = (await container.issue_booking_form(maria.id)).comment  # type: ignore[arg-type]
    await container.ingest.one(
        RecordFactory.build(
            status=BookingStatus.COMPLETED,
            services=(ServiceLine("Manicure", Decimal("2500.00")),),
            comment=comment,
        )
    )
    factory.store.app_state[LOYALTY_SWITCH] = "false"  # the last run saw loyalty off
    container.switches.loyalty_enabled = True  # ... and it is on at this start

    runtime = Runtime(container)  # the in-process runner and its schedule
    await runtime.start()
    try:
        for _ in range(200):
            if factory.store.app_state.get(LOYALTY_SWITCH) == "true":
                break
            await asyncio.sleep(0.02)
    finally:
        await runtime.stop()
        await container.aclose()
    assert factory.store.app_state[LOYALTY_SWITCH] == "true"
    assert factory.store.accounts[maria.id].balance == Decimal("75.00")
