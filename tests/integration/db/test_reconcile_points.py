"""Issue 13 item 6 on PostgreSQL: after LOYALTY_ENABLED comes back on, `ReconcilePoints`
brings bookings cancelled or completed while it was off into line, in batches, exactly once,
even with two runs racing each other and a webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from src.adapters.db.engine import make_engine
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.reconcile_points import LOYALTY_SWITCH, ReconcilePoints
from src.domain.booking import BookingStatus
from src.domain.loyalty import EntryKind
from tests.fakes.clock import FakeClock
from tests.integration.db.helpers import code_member, completed_visit

POINTS = Decimal("75.00")  # 2500.00 at Bronze's 3 %
BOOKINGS = 12
HOUR = timedelta(hours=1)


@pytest.fixture
async def factory(
    pg_uow_factory: SqlUnitOfWorkFactory, pg_url: str
) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = make_engine(pg_url, pool_size=10, max_overflow=5)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()


async def _entries(factory: SqlUnitOfWorkFactory, user_id: int):  # type: ignore[no-untyped-def]
    async with factory() as uow:
        account = await uow.ledger.get_account(user_id)
        entries = (await uow.ledger.entries(user_id, limit=1000, offset=0)).items
        switch = await uow.app_state.get(LOYALTY_SWITCH)
    return account, entries, switch


async def test_reconcile_after_loyalty_was_off_corrects_each_booking_once(
    factory: SqlUnitOfWorkFactory,
) -> None:
    user_id = await code_member(factory)
    switches = Switches()
    ingest = IngestRecords(factory, FakeClock(), switches)
    # Half the visits were credited, then cancelled while loyalty was off; the other half
    # were completed while it was off. No sync will see any of them again.
    credited = [completed_visit(n) for n in range(1, BOOKINGS // 2 + 1)]
    missed = [completed_visit(n) for n in range(BOOKINGS // 2 + 1, BOOKINGS + 1)]
    await ingest(credited)
    switches.loyalty_enabled = False
    await ingest(
        [
            replace(r, status=BookingStatus.CANCELLED, last_change_at=r.last_change_at + HOUR)
            for r in credited
        ]
    )
    await ingest(missed)
    switches.loyalty_enabled = True
    run = ReconcilePoints(factory, FakeClock(), switches, batch_size=5)

    # Two workers starting at once, plus the daily run, all racing.
    results = await asyncio.gather(
        run(only_if_switch_changed=True), run(only_if_switch_changed=True), run()
    )

    account, entries, switch = await _entries(factory, user_id)
    kinds = sorted(e.kind for e in entries)
    half = BOOKINGS // 2
    assert kinds == sorted([EntryKind.ACCRUAL] * BOOKINGS + [EntryKind.REVERSAL] * half)
    assert account.balance == sum((e.amount for e in entries), Decimal(0)) == POINTS * half
    # Net over the racing runs: the missed half credited, the cancelled half reversed.
    assert sum((r.points for r in results), Decimal(0)) == 0
    assert switch == "true"
    # A second run finds nothing to do; a startup run with the switch unchanged is skipped.
    assert (await run()).points == 0
    assert (await run(only_if_switch_changed=True)).skipped
