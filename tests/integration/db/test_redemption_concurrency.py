"""Spending points exactly once on PostgreSQL: 50 identical hold requests at once make one
hold; a hold racing the COMPLETED webhook of its booking is either captured once or refused,
never left HELD on a completed visit. Enforced by row locks (booking, redemption, account)
and the unique keys (one HELD redemption per booking, one entry per redemption and kind)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from src.adapters.db.engine import make_engine
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.errors import Conflict
from src.application.ports.users import NewUser
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.redemptions import CaptureHold, HoldPoints, ReleaseHold
from src.application.use_cases.staff_holds import CancelHold
from src.domain.booking import BookingKey, BookingStatus
from src.domain.client_codes import comment_line
from src.domain.loyalty import EntryKind
from src.domain.record import ServiceLine, YClientsRecord
from src.domain.redemption import HoldRules, RedemptionState, salons_from
from tests.factories import COMPANY_ID, RecordFactory
from tests.fakes.clock import FakeClock

REQUESTS = 50
CODE = "MARIA234"


@pytest.fixture
async def wide_factory(
    pg_uow_factory: SqlUnitOfWorkFactory, pg_url: str
) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = make_engine(pg_url, pool_size=REQUESTS + 5, max_overflow=5)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()


def upcoming(record_id: int) -> YClientsRecord:
    return RecordFactory.build(
        record_id=record_id,
        status=BookingStatus.CONFIRMED,
        services=(ServiceLine("Manicure", Decimal("2500.00")),),
        comment=comment_line(CODE),
    )


async def _scene(factory: SqlUnitOfWorkFactory, *records: YClientsRecord) -> tuple[int, list[int]]:
    async with factory() as uow:
        user = await uow.users.add(NewUser("maria@example.com", "h", unique_code=CODE))
        await uow.commit()
    await AdjustPoints(factory, FakeClock())(user.id, Decimal(5000), "gift", user.id)
    await IngestRecords(factory, FakeClock(), Switches())(list(records))
    async with factory() as uow:
        keys = [BookingKey(COMPANY_ID, r.record_id) for r in records]
        found = await uow.bookings.get_many(keys)
    return user.id, [found[k].id for k in keys]  # type: ignore[misc]


async def _ledger(factory: SqlUnitOfWorkFactory, user_id: int):  # type: ignore[no-untyped-def]
    async with factory() as uow:
        account = await uow.ledger.get_account(user_id)
        entries = (await uow.ledger.entries(user_id, limit=1000, offset=0)).items
        redemptions = (await uow.redemptions.query(user_id, limit=1000, offset=0)).items
    return account, entries, redemptions


async def test_fifty_identical_holds_make_one(wide_factory: SqlUnitOfWorkFactory) -> None:
    user_id, [booking_id] = await _scene(wide_factory, upcoming(1))
    hold = HoldPoints(wide_factory, FakeClock())
    results = await asyncio.gather(
        *(hold(user_id, booking_id, Decimal(100)) for _ in range(REQUESTS)),
        return_exceptions=True,
    )
    made = [r for r in results if not isinstance(r, BaseException)]
    assert len(made) == 1
    assert all(isinstance(r, Conflict) for r in results if isinstance(r, BaseException))
    account, entries, redemptions = await _ledger(wide_factory, user_id)
    assert [e.kind for e in entries].count(EntryKind.HOLD) == 1
    assert [r.state for r in redemptions] == [RedemptionState.HELD]
    assert account.balance == sum(e.amount for e in entries) == Decimal("4900.00")


async def test_a_hold_racing_the_completed_webhook_is_captured_once(
    wide_factory: SqlUnitOfWorkFactory,
) -> None:
    records = [upcoming(n) for n in range(1, 21)]
    user_id, booking_ids = await _scene(wide_factory, *records)
    hold = HoldPoints(wide_factory, FakeClock())
    ingest = IngestRecords(wide_factory, FakeClock(), Switches())
    for record, booking_id in zip(records, booking_ids, strict=True):
        done = replace(
            record,
            status=BookingStatus.COMPLETED,
            last_change_at=record.last_change_at + timedelta(minutes=1),
        )
        await asyncio.gather(
            *(hold(user_id, booking_id, Decimal(50)) for _ in range(3)),
            *(ingest.one(done) for _ in range(3)),
            return_exceptions=True,
        )
    account, entries, redemptions = await _ledger(wide_factory, user_id)
    by_booking: dict[int | None, list[RedemptionState]] = {}
    for r in redemptions:
        by_booking.setdefault(r.booking_id, []).append(r.state)
    # Each booking: captured once, or no hold at all (completed first); never left HELD.
    assert all(states == [RedemptionState.CAPTURED] for states in by_booking.values())
    holds = [e for e in entries if e.kind is EntryKind.HOLD]
    assert len(holds) == len(redemptions)
    assert not [e for e in entries if e.kind is EntryKind.RELEASE]
    accruals = [e for e in entries if e.kind is EntryKind.ACCRUAL]
    assert len(accruals) == len(records)  # every visit earned once
    assert account.balance == sum(e.amount for e in entries)


async def test_a_hold_on_a_visit_cancelled_while_loyalty_was_off_is_released_by_reconcile(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    from src.application.use_cases.reconcile_points import ReconcilePoints

    record = upcoming(1)
    user_id, [booking_id] = await _scene(pg_uow_factory, record)
    r = await HoldPoints(pg_uow_factory, FakeClock())(user_id, booking_id, Decimal(100))
    off = Switches(loyalty_enabled=False)
    cancelled = replace(
        record,
        status=BookingStatus.CANCELLED,
        last_change_at=record.last_change_at + timedelta(minutes=1),
    )
    await IngestRecords(pg_uow_factory, FakeClock(), off)([cancelled])
    _, _, [still] = await _ledger(pg_uow_factory, user_id)
    assert still.state is RedemptionState.HELD  # loyalty off: nothing written
    await ReconcilePoints(pg_uow_factory, FakeClock(), Switches())()
    account, entries, [released] = await _ledger(pg_uow_factory, user_id)
    assert (released.id, released.state) == (r.id, RedemptionState.RELEASED)
    assert account.balance == sum(e.amount for e in entries) == Decimal("5000.00")


async def test_a_members_release_racing_the_staff_capture_one_wins(
    wide_factory: SqlUnitOfWorkFactory,
) -> None:
    """Issue 20 item 1: at the moment the hold becomes the salon's, the member's release (a
    moment before, so allowed) races the staff capture (a moment after, so allowed): exactly
    one wins per hold; the loser gets 409; never released and captured both."""
    records = [upcoming(n) for n in range(101, 113)]
    user_id, booking_ids = await _scene(wide_factory, *records)
    hold = HoldPoints(wide_factory, FakeClock())
    made = [await hold(user_id, b, Decimal(100)) for b in booking_ids]
    async with wide_factory() as uow:
        booking = await uow.bookings.get(booking_ids[0])
    assert booking is not None
    lock = salons_from(booking, HoldRules())  # every visit is at the same time
    release = ReleaseHold(wide_factory, FakeClock(lock - timedelta(milliseconds=1)))
    capture = CaptureHold(wide_factory, FakeClock(lock))
    wins: dict[int, list[str]] = {}
    for r in made:
        assert r.id is not None
        results = await asyncio.gather(
            *(release(user_id, r.id) for _ in range(3)),
            *(capture(r.id, user_id) for _ in range(3)),
            return_exceptions=True,
        )
        assert all(isinstance(x, Conflict) for x in results if isinstance(x, BaseException))
        wins[r.id] = [x.state.value for x in results if not isinstance(x, BaseException)]
    assert all(len(w) == 1 for w in wins.values()), wins
    outcomes = {w[0] for w in wins.values()}
    account, entries, redemptions = await _ledger(wide_factory, user_id)
    kinds: dict[int | None, list[EntryKind]] = {}
    for e in sorted(entries, key=lambda e: e.id or 0):
        if e.redemption_id is not None:
            kinds.setdefault(e.redemption_id, []).append(e.kind)
    for r in redemptions:
        assert r.state.value == wins[r.id][0]  # type: ignore[index]
        expected = [EntryKind.HOLD]
        if r.state is RedemptionState.RELEASED:
            expected.append(EntryKind.RELEASE)
        else:
            assert r.state is RedemptionState.CAPTURED and r.captured_by == user_id
        assert kinds[r.id] == expected
    assert account.balance == sum(e.amount for e in entries)
    released = sum(1 for r in redemptions if r.state is RedemptionState.RELEASED)
    assert account.balance == Decimal(5000) - 100 * (len(made) - released)
    print(f"release/capture race outcomes: {sorted(outcomes)}, released {released}/{len(made)}")


async def test_a_staff_cancellation_racing_the_capture_one_wins(
    wide_factory: SqlUnitOfWorkFactory,
) -> None:
    """Issue 23 item 4: two people at the desk, one cancels a hold (with a reason) while the
    other captures it: one wins per hold, the loser gets 409; a cancelled hold has one
    RELEASE entry signed by the admin and keeps who cancelled it (released_by)."""
    records = [upcoming(n) for n in range(201, 207)]
    user_id, booking_ids = await _scene(wide_factory, *records)
    made = [
        await HoldPoints(wide_factory, FakeClock())(user_id, b, Decimal(100)) for b in booking_ids
    ]
    async with wide_factory() as uow:
        booking = await uow.bookings.get(booking_ids[0])
    assert booking is not None
    now = FakeClock(salons_from(booking, HoldRules()))
    async with wide_factory() as uow:
        admin = (await uow.users.add(NewUser("desk@example.com", "h"))).id
        await uow.commit()
    cancel, capture = CancelHold(wide_factory, now), CaptureHold(wide_factory, now)
    wins: dict[int, list[RedemptionState]] = {}
    for r in made:
        assert r.id is not None
        results = await asyncio.gather(
            *(cancel(r.id, admin, "pays in cash") for _ in range(3)),
            *(capture(r.id, admin) for _ in range(3)),
            return_exceptions=True,
        )
        errors = [x for x in results if isinstance(x, BaseException)]
        assert all(isinstance(x, Conflict) for x in errors), errors
        wins[r.id] = [x.state for x in results if not isinstance(x, BaseException)]
    assert all(len(w) == 1 for w in wins.values()), wins
    account, entries, redemptions = await _ledger(wide_factory, user_id)
    for r in redemptions:
        releases = [e for e in entries if e.redemption_id == r.id and e.kind is EntryKind.RELEASE]
        if r.state is RedemptionState.RELEASED:
            assert r.released_by == admin
            [entry] = releases
            assert entry.actor_id == admin and "pays in cash" in entry.reason
        else:
            assert (r.state, r.released_by, releases) == (RedemptionState.CAPTURED, None, [])
    assert account.balance == sum(e.amount for e in entries)
