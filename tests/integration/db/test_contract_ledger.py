"""LedgerRepository and LevelRepository contract: fakes, SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from src.application.errors import ConcurrentUpdate
from src.application.ports.uow import UnitOfWorkFactory
from src.domain.booking import BookingKey
from src.domain.loyalty import DEFAULT_LEVELS, EntryKind, LedgerEntry, LoyaltyAccount
from tests.integration.db.helpers import COMPANY, T0, add_user, booking, upsert


def entry(user_id: int, booking_id: int | None, step: int | None, **kw: object) -> LedgerEntry:
    values: dict[str, object] = {
        "kind": EntryKind.ACCRUAL,
        "amount": Decimal("75.00"),
        "reason": "visit completed",
        "created_at": T0,
        "percent": Decimal("3.00"),
    }
    values.update(kw)
    return LedgerEntry(user_id=user_id, booking_id=booking_id, step=step, **values)  # type: ignore[arg-type]


async def test_levels_are_seeded_with_the_defaults(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        assert await uow.levels.all() == sorted(DEFAULT_LEVELS, key=lambda lv: lv.min_spend)


async def test_lock_accounts_creates_missing_ones_empty(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory, "maria@example.com")
    olga = await add_user(uow_factory, "olga@example.com")
    async with uow_factory() as uow:
        assert await uow.ledger.get_account(maria.id) == LoyaltyAccount(maria.id)
        got = await uow.ledger.lock_accounts([olga.id, maria.id, olga.id])
        assert got == {maria.id: LoyaltyAccount(maria.id), olga.id: LoyaltyAccount(olga.id)}
        assert await uow.ledger.lock_accounts([]) == {}
        got[maria.id].balance = Decimal("75.00")
        got[maria.id].completed_spend = Decimal("2500.00")
        await uow.ledger.save_accounts([got[maria.id]])
        await uow.ledger.save_accounts([])
        await uow.commit()
    async with uow_factory() as uow:
        again = await uow.ledger.lock_accounts([maria.id])
        assert again == {maria.id: LoyaltyAccount(maria.id, Decimal("75.00"), Decimal("2500.00"))}
        assert await uow.ledger.get_account(maria.id) == again[maria.id]
        assert await uow.ledger.get_account(olga.id) == LoyaltyAccount(olga.id)


async def test_entries_newest_first_and_paged(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory, "maria@example.com")
    olga = await add_user(uow_factory, "olga@example.com")
    ids = await upsert(uow_factory, booking(1, user_id=maria.id), booking(2, user_id=maria.id))
    b1, b2 = ids[BookingKey(COMPANY, 1)], ids[BookingKey(COMPANY, 2)]
    written = [
        entry(maria.id, b1, 1, created_at=T0),
        entry(maria.id, b1, 2, kind=EntryKind.REVERSAL, amount=Decimal("-75.00"),
              created_at=T0 + timedelta(hours=2)),
        entry(maria.id, b2, 1, amount=Decimal("12.34"), created_at=T0 + timedelta(hours=1)),
        entry(maria.id, None, None, kind=EntryKind.ADJUSTMENT, amount=Decimal("5.00"),
              percent=None, actor_id=olga.id, created_at=T0 + timedelta(hours=3)),
        entry(olga.id, None, None, kind=EntryKind.ADJUSTMENT, amount=Decimal("1.00"),
              percent=None, created_at=T0 + timedelta(hours=3)),
    ]  # fmt: skip
    async with uow_factory() as uow:
        await uow.ledger.append(written)
        await uow.ledger.append([])
        await uow.commit()
    async with uow_factory() as uow:
        page = await uow.ledger.entries(maria.id, limit=3, offset=0)
        rest = await uow.ledger.entries(maria.id, limit=3, offset=3)
    assert page.total == rest.total == 4
    got = [e for e in page.items + rest.items]
    assert [(e.booking_id, e.step) for e in got] == [(None, None), (b1, 2), (b2, 1), (b1, 1)]
    assert all(e.id is not None for e in got)
    assert [e.__class__(**{**_fields(e), "id": None}) for e in got] == [
        written[3], written[1], written[2], written[0],
    ]  # fmt: skip


def _fields(e: LedgerEntry) -> dict[str, object]:
    return {name: getattr(e, name) for name in e.__slots__}  # type: ignore[attr-defined]


async def test_a_ledger_step_can_be_written_once(uow_factory: UnitOfWorkFactory) -> None:
    maria = await add_user(uow_factory)
    ids = await upsert(uow_factory, booking(1, user_id=maria.id))
    b1 = ids[BookingKey(COMPANY, 1)]
    async with uow_factory() as uow:
        await uow.ledger.append([entry(maria.id, b1, 1)])
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.ledger.append([entry(maria.id, b1, 1, amount=Decimal("1.00"))])
    async with uow_factory() as uow:
        with pytest.raises(ConcurrentUpdate):
            await uow.ledger.append([entry(maria.id, b1, 2), entry(maria.id, b1, 2)])
    async with uow_factory() as uow:
        page = await uow.ledger.entries(maria.id, limit=10, offset=0)
    assert [(e.step, e.amount) for e in page.items] == [(1, Decimal("75.00"))]


async def test_levels_can_be_replaced_from_settings(uow_factory: UnitOfWorkFactory) -> None:
    from src.application.use_cases.loyalty import ConfigureLevels
    from src.domain.loyalty import LoyaltyLevel

    custom = [
        LoyaltyLevel("Start", Decimal("0.00"), Decimal("2.00")),
        LoyaltyLevel("VIP", Decimal("50000.00"), Decimal("10.00")),
    ]
    configure = ConfigureLevels(uow_factory)
    try:
        assert await configure(custom) is True
        assert await configure(custom) is False  # already so: nothing written
        async with uow_factory() as uow:
            assert await uow.levels.all() == custom
    finally:
        await configure(DEFAULT_LEVELS)
    async with uow_factory() as uow:
        assert await uow.levels.all() == sorted(DEFAULT_LEVELS, key=lambda lv: lv.min_spend)
