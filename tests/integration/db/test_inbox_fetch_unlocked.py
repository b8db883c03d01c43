"""Issue 21 item 3 on PostgreSQL: a YClients call made for a batch holds no claim. While the
record of a partial webhook is being fetched (YClients may take up to its retry budget), the
event's row is not locked, so a concurrent claim of the same company proceeds and takes it,
and the process's batch lock is free: another company's batch runs meanwhile."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.domain.inbox import EventState
from src.domain.record import YClientsRecord
from src.entrypoints.bootstrap import build_container
from tests.factories import COMPANY_ID, RecordFactory
from tests.fakes.auth import FakeHasher
from tests.fakes.tasks import FakeQueue
from tests.fakes.yclients import FakeGateway
from tests.integration.http.conftest import make_settings, webhook_body

OTHER_COMPANY = 873457
PARTIAL = (
    b'{"company_id": %d, "resource": "record", "resource_id": 61, "status": "update"}' % COMPANY_ID
)


class _SlowGateway(FakeGateway):
    """YClients answering `get_record` only when the test lets it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = asyncio.Event()
        self.answer = asyncio.Event()

    async def get_record(self, company_id: int, record_id: int) -> YClientsRecord | None:
        self.asked.set()
        await self.answer.wait()
        return await super().get_record(company_id, record_id)


async def test_a_yclients_fetch_for_a_batch_holds_no_row_lock(
    pg_uow_factory: SqlUnitOfWorkFactory, pg_url: str
) -> None:
    gateway = _SlowGateway()
    gateway.put(RecordFactory.build(company_id=COMPANY_ID, record_id=61))
    settings = make_settings(pg_url, YCLIENTS_COMPANY_IDS=(COMPANY_ID, OTHER_COMPANY))
    container = build_container(
        settings, uow_factory=pg_uow_factory, gateway=gateway, hasher=FakeHasher(),
        queue=FakeQueue(),
    )  # fmt: skip
    try:
        partial = (await container.accept_webhook(PARTIAL)).event_id
        elsewhere = json.loads(webhook_body(62, company_id=OTHER_COMPANY))
        elsewhere["company_id"] = OTHER_COMPANY
        other = await container.accept_webhook(json.dumps(elsewhere).encode())
        batch = asyncio.create_task(container.apply_batch.batch(company_id=COMPANY_ID))
        await asyncio.wait_for(gateway.asked.wait(), 10)  # the fetch is waiting on YClients

        # Another worker's claim of the same company, while the fetch waits: it gets the row.
        async with pg_uow_factory() as uow:
            now = datetime.now(UTC)
            claimed = await asyncio.wait_for(uow.inbox.claim(10, now=now, company_id=COMPANY_ID), 5)
            assert [e.id for e in claimed] == [partial]
        # And this process's batch lock is free: another company's batch runs meanwhile.
        done = await asyncio.wait_for(container.apply_batch.batch(company_id=OTHER_COMPANY), 5)
        assert done.processed == [other.event_id]

        gateway.answer.set()
        outcome = await asyncio.wait_for(batch, 10)
    finally:
        gateway.answer.set()
        await container.aclose()
    assert outcome.processed == [partial]
    async with pg_uow_factory() as uow:
        event = await uow.inbox.get(partial)
    assert event is not None and (event.state, event.attempts) == (EventState.PROCESSED, 1)
