"""Ledger events (`ledger_entry_written`, `points_*`) are published after the commit that
wrote the entries: a transaction retried after a conflict reports once, a rolled-back one
never, and every path that moves money reports (the admin relink reversal included)."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from src.application.errors import ConcurrentUpdate
from src.application.use_cases.bookings import LinkBookingManually
from src.application.use_cases.expire_points import ExpirePoints, RecordTtl
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.redemptions import HoldPoints
from src.domain.booking import BookingStatus
from src.domain.loyalty import EntryKind
from tests.fakes.expiry import FakeExpiryReminders
from tests.fakes.store import Store
from tests.fakes.uow import FakeUnitOfWork, FakeUnitOfWorkFactory
from tests.unit.conftest import World

D = Decimal
CODE = "Код клиента: ABC23456"


class _LosesFirstCommits(FakeUnitOfWorkFactory):
    """Units of work whose first `conflicts` commits lose a race (nothing is kept)."""

    def __init__(self, store: Store, conflicts: int = 1) -> None:
        super().__init__(store)
        self.conflicts = conflicts

    def __call__(self) -> FakeUnitOfWork:
        factory = self

        class _Uow(FakeUnitOfWork):
            async def commit(self) -> None:
                if factory.conflicts > 0:
                    factory.conflicts -= 1
                    raise ConcurrentUpdate("a concurrent transaction won")
                await super().commit()

        return _Uow(self.store)


def _events(caplog: pytest.LogCaptureFixture) -> Counter[str]:
    return Counter(r.getMessage() for r in caplog.records)


def _written(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str]]:
    return [
        (r.kind, r.amount)  # type: ignore[attr-defined]
        for r in caplog.records
        if r.getMessage() == "ledger_entry_written"
    ]


async def test_a_transaction_retried_after_a_conflict_publishes_its_ledger_events_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    maria = await world.user(code="ABC23456")
    factory = _LosesFirstCommits(world.store, conflicts=2)
    ingest = type(world.ingest)(factory, world.clock, world.switches)
    caplog.set_level("INFO")
    caplog.clear()  # another test may have left INFO on: only what follows counts
    counts = await ingest.one(world.record(status=BookingStatus.COMPLETED, comment=CODE))
    assert factory.conflicts == 0  # two attempts lost, the third committed
    assert _events(caplog)["ingest_retry"] == 2
    assert _written(caplog) == [("ACCRUAL", "75.00")]
    assert [e.kind for e in world.store.entries] == [EntryKind.ACCRUAL]
    assert counts.points_awarded == world.balance(maria.id) == D("75.00")


async def test_an_expiry_retried_after_a_conflict_reports_its_expiry_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    maria = await world.user()
    await RecordTtl(world.uow_factory, world.clock, 30)()
    await AdjustPoints(world.uow_factory, world.clock)(maria.id, D(40), "gift", 99)  # type: ignore[arg-type]
    world.clock.advance(days=31)
    factory = _LosesFirstCommits(world.store)
    expire = ExpirePoints(factory, world.clock, FakeExpiryReminders(), ttl_days=30, reminder_days=7)
    caplog.set_level("INFO")
    caplog.clear()  # another test may have left INFO on: only what follows counts
    result = await expire()
    assert (result.lots, result.points) == (1, D("-40.00"))
    assert _events(caplog)["points_expiry_retry"] == 1
    assert _written(caplog) == [("EXPIRY", "-40.00")]
    assert _events(caplog)["points_expired"] == 1
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("0.00")


async def test_a_rolled_back_transaction_publishes_nothing(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    maria = await world.user(code="ABC23456")
    await world.ingest.one(world.record(status=BookingStatus.PENDING, comment=CODE))
    await AdjustPoints(world.uow_factory, world.clock)(maria.id, D(500), "gift", 99)  # type: ignore[arg-type]
    # Every attempt loses: nothing is stored, nothing is reported.
    hold = HoldPoints(_LosesFirstCommits(world.store, conflicts=1), world.clock)
    caplog.set_level("INFO")
    caplog.clear()  # another test may have left INFO on: only what follows counts
    with pytest.raises(ConcurrentUpdate):
        await hold(maria.id, world.booking().id, D(100))  # type: ignore[arg-type]
    assert _written(caplog) == [] and _events(caplog)["points_held"] == 0
    assert world.store.redemptions == {} and world.balance(maria.id) == D("500.00")


async def test_the_admin_relink_reversal_logs_its_entry(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    maria = await world.user()
    olga = await world.user("olga@example.com")
    await world.ingest.one(world.record(status=BookingStatus.COMPLETED, email="x@example.com"))
    booking_id = world.booking().id
    link = LinkBookingManually(world.uow_factory, world.clock, world.switches)
    await link(booking_id, maria.id, admin_id=42)  # type: ignore[arg-type]
    caplog.set_level("INFO")
    caplog.clear()  # another test may have left INFO on: only what follows counts
    await link(booking_id, olga.id, admin_id=42)  # type: ignore[arg-type]
    written = [r for r in caplog.records if r.getMessage() == "ledger_entry_written"]
    assert [(r.kind, r.amount, r.user_id, r.actor_id) for r in written] == [  # type: ignore[attr-defined]
        ("REVERSAL", "-75.00", maria.id, 42),
        ("ACCRUAL", "75.00", olga.id, None),
    ]
    assert all(r.booking_id == booking_id for r in written)  # type: ignore[attr-defined]
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("0.00")
