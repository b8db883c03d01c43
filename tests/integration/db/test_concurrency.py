"""Exactly once under concurrency: 50 deliveries of one record on 50 connections, racing a
sync of the same company, write one ACCRUAL; a completed→cancelled race ends at the newest
version's entitlement. The database enforces it (row locks, UNIQUE (booking_id, step))."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from src.adapters.db.engine import make_engine
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.sync import SyncBookings
from src.domain.booking import BookingKey, BookingStatus
from src.domain.loyalty import EntryKind
from src.domain.record import YClientsRecord
from tests.factories import COMPANY_ID
from tests.fakes.clock import FakeClock
from tests.fakes.sync import FakeSyncLock
from tests.fakes.yclients import FakeGateway
from tests.integration.db.helpers import code_member, completed_visit

DELIVERIES = 50
POINTS = Decimal("75.00")  # 2500.00 at Bronze's 3 %


@pytest.fixture(params=["postgres", "sqlite"])
def emptied_url(request: pytest.FixtureRequest) -> str:
    """The session database of either engine, its tables emptied."""
    prefix = "pg" if request.param == "postgres" else "sqlite"
    request.getfixturevalue(f"{prefix}_uow_factory")  # empties the tables
    return request.getfixturevalue(f"{prefix}_url")


@pytest.fixture
async def wide_factory(emptied_url: str) -> AsyncIterator[SqlUnitOfWorkFactory]:
    """A pool wide enough for every delivery to hold its own connection."""
    engine = make_engine(emptied_url, pool_size=DELIVERIES + 5, max_overflow=5)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()


def _sync(factory: SqlUnitOfWorkFactory, *records: YClientsRecord) -> SyncBookings:
    gateway = FakeGateway()
    gateway.put(*records)
    return SyncBookings(factory, gateway, FakeClock(), FakeSyncLock(), Switches())


async def _state(factory: SqlUnitOfWorkFactory, user_id: int, record_id: int = 1):  # type: ignore[no-untyped-def]
    async with factory() as uow:
        booking = (await uow.bookings.get_many([BookingKey(COMPANY_ID, record_id)]))[
            BookingKey(COMPANY_ID, record_id)
        ]
        account = await uow.ledger.get_account(user_id)
        entries = (await uow.ledger.entries(user_id, limit=1000, offset=0)).items
        flag = (
            await uow._db.execute(  # type: ignore[attr-defined]
                text("SELECT loyalty_bonuses_awarded FROM bookings WHERE id = :id"),
                {"id": booking.id},
            )
        ).scalar_one()
    mine = [e for e in entries if e.booking_id == booking.id]
    return booking, account, mine, bool(flag)


async def test_fifty_deliveries_and_a_sync_write_one_accrual(
    wide_factory: SqlUnitOfWorkFactory,
) -> None:
    user_id = await code_member(wide_factory)
    record = completed_visit()
    # The sync's page also carries 199 records of nobody: the booking races inside a batch.
    others = [replace(completed_visit(n), comment="") for n in range(2, 201)]
    ingest = IngestRecords(wide_factory, FakeClock(), Switches())

    results = await asyncio.gather(
        *(ingest.one(record) for _ in range(DELIVERIES)),
        _sync(wide_factory, record, *others)(COMPANY_ID),
    )

    booking, account, entries, flag = await _state(wide_factory, user_id)
    assert [(e.kind, e.amount, e.step) for e in entries] == [(EntryKind.ACCRUAL, POINTS, 1)]
    assert (booking.bonus_points, booking.ledger_step, flag) == (POINTS, 1, True)
    assert account.balance == POINTS
    assert sum(r.points_awarded for r in results[:-1]) in (0, POINTS)
    assert results[-1].counts.errors == 0  # type: ignore[union-attr]


async def test_completed_then_cancelled_racing_ends_at_the_newest_entitlement(
    wide_factory: SqlUnitOfWorkFactory,
) -> None:
    user_id = await code_member(wide_factory)
    completed = completed_visit()
    cancelled = replace(
        completed,
        status=BookingStatus.CANCELLED,
        deleted=True,
        last_change_at=completed.last_change_at + timedelta(minutes=5),
    )
    versions = [completed] * (DELIVERIES // 2) + [cancelled] * (DELIVERIES // 2)
    random.Random(4).shuffle(versions)
    ingest = IngestRecords(wide_factory, FakeClock(), Switches())

    await asyncio.gather(
        *(ingest.one(v) for v in versions), _sync(wide_factory, completed)(COMPANY_ID)
    )

    booking, account, entries, flag = await _state(wide_factory, user_id)
    assert booking.status is BookingStatus.CANCELLED and booking.deleted
    assert sum(e.amount for e in entries) == Decimal("0.00")
    # Either the cancellation came first (nothing written) or it reversed the accrual.
    # (Entries share one created_at here, so read them in step order.)
    by_step = sorted(entries, key=lambda e: e.step or 0)
    assert [e.kind for e in by_step] in ([], [EntryKind.ACCRUAL, EntryKind.REVERSAL])
    assert [e.step for e in by_step] in ([], [1, 2])
    assert (booking.bonus_points, flag, account.balance) == (Decimal("0.00"), False, 0)


async def test_pending_then_completed_racing_awards_once(
    wide_factory: SqlUnitOfWorkFactory,
) -> None:
    user_id = await code_member(wide_factory)
    completed = completed_visit()
    pending = replace(
        completed,
        status=BookingStatus.PENDING,
        last_change_at=completed.last_change_at - timedelta(minutes=5),
    )
    versions = [pending, completed] * (DELIVERIES // 2)
    random.Random(7).shuffle(versions)
    ingest = IngestRecords(wide_factory, FakeClock(), Switches())

    await asyncio.gather(*(ingest.one(v) for v in versions))

    booking, account, entries, flag = await _state(wide_factory, user_id)
    assert booking.status is BookingStatus.COMPLETED
    assert [(e.kind, e.amount) for e in entries] == [(EntryKind.ACCRUAL, POINTS)]
    assert (booking.bonus_points, flag, account.balance) == (POINTS, True, POINTS)
