"""A record whose date overflows on conversion to UTC (issue 20, item 9) is that record's
error, on PostgreSQL over the simulator: a webhook event carrying it goes DEAD with its
reason while the company's next event is processed (it used to stay PENDING for ever,
holding the batch); a sync sets it aside like any undecodable record."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import text

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.adapters.yclients.client import YClientsClient
from src.domain.inbox import EventState
from src.entrypoints.bootstrap import Container, build_container
from src.entrypoints.simulator import NewRecord
from src.entrypoints.simulator.state import ServiceIn
from tests.fakes.auth import FakeHasher
from tests.integration.http.conftest import StoreOnlyQueue, make_settings
from tests.integration.yclients.conftest import COMPANY_ID, Simulator

OVERFLOWS = ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+03:00"]


def _record(sim: Simulator, **changes: Any) -> dict[str, Any]:
    record = sim.state.create_record(
        NewRecord(
            company_id=COMPANY_ID,
            services=[ServiceIn(title="Маникюр", cost=Decimal(1500))],
            webhook=False,
        )
    )
    if changes:
        record = dict(record, **changes)
        sim.state.store.put(record)
    return record


def _webhook(record: dict[str, Any]) -> bytes:
    body = {"company_id": COMPANY_ID, "resource": "record", "resource_id": record["id"],
            "status": "update", "data": record}  # fmt: skip
    return json.dumps(body, ensure_ascii=False, default=str).encode()


def _container(
    pg_url: str, factory: SqlUnitOfWorkFactory, client: YClientsClient, **settings: Any
) -> Container:
    container = build_container(
        make_settings(pg_url, **settings), uow_factory=factory, gateway=client,
        hasher=FakeHasher(), queue=StoreOnlyQueue(),
    )  # fmt: skip
    return container


async def _booked(factory: SqlUnitOfWorkFactory) -> set[int]:
    async with factory.engine.connect() as conn:
        return set((await conn.execute(text("SELECT yclients_record_id FROM bookings"))).scalars())


@pytest.mark.parametrize("moment", OVERFLOWS)
async def test_a_webhook_record_whose_date_overflows_goes_dead_and_the_next_event_is_processed(
    sim: Simulator,
    make_client: Callable[..., YClientsClient],
    pg_uow_factory: SqlUnitOfWorkFactory,
    pg_url: str,
    moment: str,
) -> None:
    bad = _record(sim, datetime=moment)
    good = _record(sim)
    container = _container(pg_url, pg_uow_factory, make_client(), WEBHOOK_MAX_ATTEMPTS=1)
    try:
        bad_event = (await container.accept_webhook(_webhook(bad))).event_id
        good_event = (await container.accept_webhook(_webhook(good))).event_id
        drained = await container.drain_inbox(COMPANY_ID)
        async with container.uow_factory() as uow:
            dead, done = await uow.inbox.get(bad_event), await uow.inbox.get(good_event)
    finally:
        await container.aclose()
    assert drained.processed == 1 and drained.failed == [bad_event]
    assert done is not None and done.state is EventState.PROCESSED
    assert dead is not None and dead.state is EventState.DEAD
    assert dead.last_error is not None and "date out of range" in dead.last_error
    assert "datetime" in dead.last_error
    assert await _booked(pg_uow_factory) == {good["id"]}


async def test_a_synced_record_whose_date_overflows_is_quarantined(
    sim: Simulator,
    make_client: Callable[..., YClientsClient],
    pg_uow_factory: SqlUnitOfWorkFactory,
    pg_url: str,
) -> None:
    first = _record(sim)
    bad = _record(sim, last_change_date=OVERFLOWS[0])
    last = _record(sim)
    container = _container(pg_url, pg_uow_factory, make_client())
    try:
        run = await container.sync(COMPANY_ID, "manual")
        page = await container.quarantined_records.page(COMPANY_ID, 10, 0)
    finally:
        await container.aclose()
    assert run.status.value == "SUCCEEDED", run.error
    assert run.counts.errors == 1
    assert await _booked(pg_uow_factory) == {first["id"], last["id"]}
    assert [(q.record_id, q.field) for q in page.items] == [(bad["id"], "last_change_date")]
    assert "date out of range" in page.items[0].reason
