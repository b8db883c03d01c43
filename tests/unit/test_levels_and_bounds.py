"""Issue 13 item 7: a 0 % entry level still counts spend, adjustments answer the stored entry,
amounts and balances are bounded, and one member's overflow never fails a sync page."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.application.errors import ValidationFailed
from src.application.use_cases.loyalty import AdjustPoints, GetLoyaltyAccount
from src.domain.booking import BookingStatus
from src.domain.loyalty import MAX_POINTS, LoyaltyAccount, LoyaltyLevel
from tests.unit.conftest import World

D = Decimal
ZERO_ENTRY = [LoyaltyLevel("Basic", D(0), D(0)), LoyaltyLevel("Silver", D(5000), D(5))]


async def test_zero_percent_entry_level_still_counts_spend_and_levels_up(world: World) -> None:
    world.store.levels = list(ZERO_ENTRY)
    maria = await world.user(code="ABC23456")
    first = world.record(1, status=BookingStatus.COMPLETED, price=6000,
                         comment="Код клиента: ABC23456")  # fmt: skip
    await world.ingest.one(first)
    await world.ingest.one(first)  # a duplicate counts nothing more
    assert world.store.accounts[maria.id].completed_spend == D("6000.00")
    assert world.store.entries == []  # 0 %: nothing earned, no ledger step taken
    view = await GetLoyaltyAccount(world.uow_factory)(maria.id)
    assert view.level.name == "Silver"
    # The next visit earns at Silver; cancelling the first takes its spend back.
    await world.ingest.one(world.record(2, status=BookingStatus.COMPLETED, price=1000,
                                        comment="Код клиента: ABC23456"))  # fmt: skip
    assert world.balance(maria.id) == D("50.00")
    await world.ingest.one(world.newer(first, status=BookingStatus.CANCELLED))
    assert world.store.accounts[maria.id].completed_spend == D("1000.00")
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("50.00")


async def test_adjustment_answers_the_stored_entry_with_its_id(world: World) -> None:
    maria = await world.user()
    entry = await AdjustPoints(world.uow_factory, world.clock)(maria.id, D(10), "gift", 42)
    assert entry.id is not None
    assert entry == world.store.entries[-1]


async def test_adjustment_beyond_the_maximum_is_refused(world: World) -> None:
    maria = await world.user()
    adjust = AdjustPoints(world.uow_factory, world.clock, max_amount=D(1000))
    with pytest.raises(ValidationFailed, match=r"^amount: must be at most 1000"):
        await adjust(maria.id, D("1000.01"), "too generous", 42)
    with pytest.raises(ValidationFailed, match=r"^amount:"):
        await adjust(maria.id, D("-1000.01"), "too harsh", 42)
    await adjust(maria.id, D(1000), "fine", 42)
    assert world.balance(maria.id) == D("1000.00")


async def test_adjustment_cannot_overflow_the_balance_column(world: World) -> None:
    maria = await world.user()
    world.store.accounts[maria.id] = LoyaltyAccount(maria.id, balance=MAX_POINTS - D(5))
    adjust = AdjustPoints(world.uow_factory, world.clock, max_amount=D(10**6))
    with pytest.raises(ValidationFailed, match=r"^amount: the balance would exceed"):
        await adjust(maria.id, D(10), "overflow", 42)


async def test_one_members_overflow_never_fails_the_page(world: World) -> None:
    rich = await world.user("rich@example.com", code="RICH2345")
    maria = await world.user(code="ABC23456")
    world.store.accounts[rich.id] = LoyaltyAccount(rich.id, balance=MAX_POINTS - D(1))
    page = [
        world.record(1, status=BookingStatus.COMPLETED, price=100000,
                     comment="Код клиента: RICH2345"),
        world.record(2, status=BookingStatus.COMPLETED, price=2500,
                     comment="Код клиента: ABC23456"),
    ]  # fmt: skip
    await world.ingest(page)
    assert world.store.accounts[rich.id].balance == MAX_POINTS - D(1)  # skipped, not failed
    assert world.booking(1).bonus_points == 0
    assert world.balance(maria.id) == D("75.00")  # the rest of the page is credited
