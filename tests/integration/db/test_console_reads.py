"""The console's pages read through one query use case each: one transaction and a fixed
number of SQL statements, whatever the number of visits or entries (none per visit, member
or entry)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.users import NewUser
from src.application.use_cases.checkout import CheckoutPage
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.member_card import MemberCard
from src.application.use_cases.redemptions import CheckoutList, HoldPoints
from src.application.use_cases.today import TodayVisits
from src.domain.redemption import HoldRules, Redemption, RedemptionState
from tests.fakes.clock import FakeClock
from tests.integration.db.helpers import T0, booking, counted, transactions, upsert

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


async def test_checkout_page_reads_in_one_transaction_as_much_for_12_visits_as_for_2(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    checkout = CheckoutPage(pg_uow_factory, FakeClock(T0))
    await add_visits(pg_uow_factory, 1, 2)
    with counted(pg_uow_factory) as few, transactions(pg_uow_factory.engine) as begun:
        small = await checkout(RedemptionState.HELD, DAY)
    await add_visits(pg_uow_factory, 3, 10)
    with counted(pg_uow_factory) as many:
        large = await checkout(RedemptionState.HELD, DAY)
    assert (len(small.lines), len(large.lines), large.flagged) == (2, 12, [])
    assert len(begun) == 1
    assert len(many) == len(few), many


async def add_held_visits(
    factory: SqlUnitOfWorkFactory, member: int, admin: int, first: int, count: int
) -> None:
    """`count` upcoming visits of `member`, each with a staff gift and a hold on it."""
    clock = FakeClock(T0)
    visits = [booking(n, user_id=member, appointment_at=T0 + timedelta(days=10, minutes=n))
              for n in range(first, first + count)]  # fmt: skip
    ids = await upsert(factory, *visits)
    for b in visits:
        await AdjustPoints(factory, clock)(member, Decimal(100), "gift", admin)
        await HoldPoints(factory, clock)(member, ids[b.key], Decimal(50))


async def test_member_card_reads_in_one_transaction_as_much_for_12_visits_as_for_2(
    pg_uow_factory: SqlUnitOfWorkFactory,
) -> None:
    async with pg_uow_factory() as uow:
        admin = await uow.users.add(NewUser("anna@example.com", "h"))
        member = await uow.users.add(NewUser("maria@example.com", "h"))
        await uow.commit()
    card = MemberCard(pg_uow_factory, FakeClock(T0), HoldRules())
    await add_held_visits(pg_uow_factory, member.id, admin.id, 1, 2)
    with counted(pg_uow_factory) as few, transactions(pg_uow_factory.engine) as begun:
        small = await card(member.id, ledger_offset=1)
    await add_held_visits(pg_uow_factory, member.id, admin.id, 3, 10)
    with counted(pg_uow_factory) as many:
        large = await card(member.id, ledger_offset=1)
    assert (len(small.bookings.items), len(large.bookings.items)) == (2, 12)
    assert len(large.ledger.items) == 20 and len(large.ledger_context.redemptions) == 10
    assert len(large.held) == len(large.holds) == 12
    assert list(large.ledger_context.actors) == [admin.id]
    assert len(begun) == 1
    assert len(many) == len(few), many
