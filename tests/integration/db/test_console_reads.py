"""The console's front-desk pages read a fixed number of SQL statements, whatever the
number of visits on the day (no statement per visit or per member)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.users import NewUser
from src.application.use_cases.redemptions import CheckoutList
from src.application.use_cases.today import TodayVisits
from src.domain.redemption import HoldRules, Redemption, RedemptionState
from tests.fakes.clock import FakeClock
from tests.integration.db.helpers import T0, booking, counted, upsert

DAY = (T0 + timedelta(days=10)).date()  # the day `booking()` visits fall on


async def add_visits(factory: SqlUnitOfWorkFactory, first: int, count: int) -> None:
    """`count` members, each with a visit on DAY and points held on it."""
    async with factory() as uow:
        members = [
            await uow.users.add(NewUser(f"m{n}@example.com", "h", name=f"Member {n}"))
            for n in range(first, first + count)
        ]
        await uow.commit()
    visits = [
        booking(n, user_id=m.id, appointment_at=T0 + timedelta(days=10, minutes=n))
        for n, m in zip(range(first, first + count), members, strict=True)
    ]
    ids = await upsert(factory, *visits)
    async with factory() as uow:
        for m, b in zip(members, visits, strict=True):
            await uow.redemptions.add(
                Redemption(
                    m.id, Decimal("100.00"), RedemptionState.HELD, "hold", T0,
                    booking_id=ids[b.key], visit_price=b.price,
                )
            )  # fmt: skip
        await uow.commit()


async def test_today_reads_as_many_statements_for_12_visits_as_for_2(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    today = TodayVisits(pg_uow_factory, FakeClock(T0), HoldRules())
    await add_visits(pg_uow_factory, 1, 2)
    with counted(pg_uow_factory) as few:
        small = await today(DAY)
    await add_visits(pg_uow_factory, 3, 10)
    with counted(pg_uow_factory) as many:
        large = await today(DAY)
    assert len(small.visits) == 2 and len(large.visits) == 12
    assert all(v.member is not None and v.hold is not None for v in large.visits)
    assert [v.member.name for v in large.visits if v.member] == [
        f"Member {n}" for n in range(1, 13)
    ]
    assert len(many) == len(few), many


async def test_checkout_reads_as_many_statements_for_12_visits_as_for_2(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    checkout = CheckoutList(pg_uow_factory, FakeClock(T0))
    await add_visits(pg_uow_factory, 1, 2)
    with counted(pg_uow_factory) as few:
        small = await checkout(RedemptionState.HELD, DAY)
    await add_visits(pg_uow_factory, 3, 10)
    with counted(pg_uow_factory) as many:
        large = await checkout(RedemptionState.HELD, DAY)
    assert len(small) == 2 and len(large) == 12
    assert [line.member.name for line in large if line.member] == [
        f"Member {n}" for n in range(1, 13)
    ]
    assert all(line.booking.record_id == n for n, line in enumerate(large, 1))
    assert len(many) == len(few), many
