"""Batched reads by id (`users.get_many`, `ledger.get_accounts`, `bookings.get_by_ids`,
`redemptions.get_many`): fakes, SQLite and PostgreSQL answer alike."""

from __future__ import annotations

from decimal import Decimal

from src.application.ports.uow import UnitOfWorkFactory
from src.domain.loyalty import LoyaltyAccount
from src.domain.redemption import Redemption, RedemptionState
from tests.integration.db.helpers import T0, add_user, booking, upsert

MISSING = 10**12


async def test_users_get_many_answers_what_get_answers(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory, "maria@example.com")
    olga = await add_user(uow_factory, "olga@example.com", phone_key="9165551234")
    async with uow_factory() as uow:
        got = await uow.users.get_many([olga.id, MISSING, maria.id, olga.id])
        one_by_one = {u.id: await uow.users.get(u.id) for u in (maria, olga)}
        assert await uow.users.get_many([]) == {}
    assert got == one_by_one == {maria.id: maria, olga.id: olga}


async def test_get_accounts_answers_every_id_empty_where_none(
    uow_factory: UnitOfWorkFactory,
) -> None:
    maria = await add_user(uow_factory, "maria@example.com")
    olga = await add_user(uow_factory, "olga@example.com")
    async with uow_factory() as uow:
        account = (await uow.ledger.lock_accounts([maria.id]))[maria.id]
        account.balance, account.completed_spend = Decimal("75.00"), Decimal("2500.00")
        await uow.ledger.save_accounts([account])
        await uow.commit()
    async with uow_factory() as uow:
        got = await uow.ledger.get_accounts([olga.id, maria.id, maria.id])
        one_by_one = {i: await uow.ledger.get_account(i) for i in (maria.id, olga.id)}
        assert await uow.ledger.get_accounts([]) == {}
    assert got == one_by_one
    assert got == {
        maria.id: LoyaltyAccount(maria.id, Decimal("75.00"), Decimal("2500.00")),
        olga.id: LoyaltyAccount(olga.id),
    }


async def test_bookings_and_redemptions_by_ids(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory, "maria@example.com")
    ids = list((await upsert(uow_factory, booking(1), booking(2), booking(3))).values())
    async with uow_factory() as uow:
        held = await uow.redemptions.add(
            Redemption(maria.id, Decimal("100.00"), RedemptionState.HELD, "hold", T0, ids[0])
        )
        await uow.commit()
    assert held.id is not None
    async with uow_factory() as uow:
        got = await uow.bookings.get_by_ids([ids[2], ids[0], MISSING])
        one_by_one = {i: await uow.bookings.get(i) for i in (ids[0], ids[2])}
        redemptions = await uow.redemptions.get_many([held.id, MISSING])
        one = await uow.redemptions.get(held.id)
        assert await uow.bookings.get_by_ids([]) == {}
        assert await uow.redemptions.get_many([]) == {}
    assert got == one_by_one
    assert sorted(b.record_id for b in got.values()) == [1, 3]
    assert redemptions == {held.id: one}
    assert one is not None and one.points == Decimal("100.00")
