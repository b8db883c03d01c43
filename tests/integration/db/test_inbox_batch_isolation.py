"""Webhook group commit on PostgreSQL: one delivery the database refuses no longer fails the
deliveries batched with it (it is written again alone; the others commit)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import text

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.inbox.accept import InboxWriter
from src.domain.inbox import EventState, WebhookEvent, dedupe_key
from tests.integration.db.helpers import COMPANY


def event(n: int, resource: str = "record") -> WebhookEvent:
    body = f'{{"n": {n}}}'.encode()
    return WebhookEvent(
        company_id=COMPANY, resource=resource, resource_id=n, event_status="create",
        body=body, dedupe_key=dedupe_key(body), received_at=datetime.now(UTC),
        state=EventState.PENDING,
    )  # fmt: skip


async def test_webhook_batch_isolation_a_delivery_failing_in_a_batch_fails_alone(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    writer = InboxWriter(pg_uow_factory, window=0.02)  # all 39 join one batch
    bad = {5, 17, 30}  # wider than the column: the database refuses them
    events = [event(n, "r" * 65 if n in bad else "record") for n in range(1, 40)]
    results = await asyncio.gather(*(writer.add(e) for e in events), return_exceptions=True)
    failed = {n for n, r in zip(range(1, 40), results, strict=True) if isinstance(r, Exception)}
    assert failed == bad
    async with pg_uow_factory.engine.connect() as conn:
        stored = set((await conn.execute(text("SELECT resource_id FROM webhook_events"))).scalars())
    assert stored == set(range(1, 40)) - bad
    ids = [r for r in results if not isinstance(r, BaseException)]
    assert all(created for _, created in ids) and len({i for i, _ in ids}) == 36
