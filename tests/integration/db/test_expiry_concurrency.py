"""Points expiry on PostgreSQL: two expiry runs racing write one EXPIRY entry per lot (the
lot is the primary key of points_lot_expiries; each member is handled under their locked
account row), and every balance stays the sum of its ledger."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from src.adapters.db.engine import make_engine
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.users import NewUser
from src.application.use_cases.expire_points import ExpirePoints
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.redemptions import RedeemPoints
from src.domain.loyalty import EntryKind
from tests.fakes.clock import FakeClock
from tests.fakes.expiry import FakeExpiryReminders

MEMBERS = 6
LOTS_EACH = 3


@pytest.fixture
async def factory(
    pg_uow_factory: SqlUnitOfWorkFactory, pg_url: str
) -> AsyncIterator[SqlUnitOfWorkFactory]:
    engine = make_engine(pg_url, pool_size=10, max_overflow=5)
    yield SqlUnitOfWorkFactory(engine)
    await engine.dispose()


def _runner(factory: SqlUnitOfWorkFactory, clock: FakeClock) -> ExpirePoints:
    return ExpirePoints(factory, clock, FakeExpiryReminders(), ttl_days=30, reminder_days=7)


async def test_two_concurrent_expiry_runs_write_one_expiry_per_lot(
    factory: SqlUnitOfWorkFactory,
) -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    await _runner(factory, clock)()  # TTL 30 in force from here on
    clock.advance(hours=1)
    members = []
    for n in range(MEMBERS):
        async with factory() as uow:
            user = await uow.users.add(NewUser(f"m{n}@example.com", "h"))
            await uow.commit()
        members.append(user.id)
        for _ in range(LOTS_EACH):
            await AdjustPoints(factory, clock)(user.id, Decimal("40"), "gift", admin_id=user.id)
        # 50 of the 120 are spent: the first lot fully, 10 of the second.
        await RedeemPoints(factory, clock)(user.id, Decimal("50"), "walk-in", user.id)
    clock.advance(days=31)

    results = await asyncio.gather(_runner(factory, clock)(), _runner(factory, clock)())

    assert sum(r.lots for r in results) == MEMBERS * (LOTS_EACH - 1)
    for user_id in members:
        async with factory() as uow:
            entries = (await uow.ledger.entries(user_id, limit=100, offset=0)).items
            account = await uow.ledger.get_account(user_id)
            expired = await uow.expiry.expired_lots(user_id)
        expiries = sorted(e.amount for e in entries if e.kind is EntryKind.EXPIRY)
        assert expiries == [Decimal("-40.00"), Decimal("-30.00")]
        assert len(set(expired.values())) == len(expired) == 2  # one EXPIRY per lot
        assert account.balance == sum((e.amount for e in entries), Decimal(0)) == 0
