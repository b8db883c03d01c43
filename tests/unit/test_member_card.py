"""Issue 21 item 8: the member page is one query use case (`MemberCard`), one unit of work,
giving what the console read before through six use cases, one transaction each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.application.errors import NotFound
from src.application.use_cases.bookings import ListBookings
from src.application.use_cases.ledger_view import LedgerContextOf
from src.application.use_cases.loyalty import (
    AdjustPoints,
    GetLoyaltyAccount,
    ListTransactions,
)
from src.application.use_cases.member_card import MemberCard
from src.application.use_cases.redemptions import (
    HoldPoints,
    ListRedemptions,
    PointsHeld,
    RedeemPoints,
)
from src.application.use_cases.users import GetProfile
from src.domain.booking import BookingStatus
from src.domain.redemption import HoldRules, RedemptionState, is_open_visit, redemption_cap
from src.domain.user import Role
from tests.fakes.uow import CountingUnitOfWorkFactory
from tests.unit.conftest import World

D = Decimal
CODE = "ABC23456"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RULES = HoldRules(max_percent=D(30))


async def _member(world: World) -> tuple[int, list[int]]:
    """Maria: a completed visit (points earned), a gift from staff, a hold on one upcoming
    visit, another upcoming visit and a staff redemption on it; (her id, her booking ids)."""
    world.clock.current = NOW
    admin = await world.user("anna@example.com")
    async with world.uow_factory() as uow:
        await uow.users.set_role(admin.id, Role.ADMIN)
        await uow.commit()
    maria = await world.user(code=CODE)
    comment = f"Код клиента: {CODE}"
    await world.ingest.one(
        world.record(1, price=2500, comment=comment, appointment_at=NOW - timedelta(days=3),
                     status=BookingStatus.COMPLETED)
    )  # fmt: skip
    await AdjustPoints(world.uow_factory, world.clock)(maria.id, D(1000), "gift", admin.id)
    for n in (2, 3):
        await world.ingest.one(
            world.record(n, price=1000 * n, comment=comment,
                         appointment_at=NOW + timedelta(days=n), status=BookingStatus.CONFIRMED)
        )  # fmt: skip
    ids = [world.booking(n).id for n in (1, 2, 3)]
    await HoldPoints(world.uow_factory, world.clock, rules=RULES)(maria.id, ids[1], D(300))  # type: ignore[arg-type]
    await RedeemPoints(world.uow_factory, world.clock, RULES)(
        maria.id, D(200), "at the desk", admin.id, booking_id=ids[2]
    )
    return maria.id, ids  # type: ignore[return-value]


async def _six_calls(world: World, uid: int, b_offset: int, l_offset: int, limit: int) -> dict:  # type: ignore[type-arg]
    """What the member page read before: one use case (and transaction) per part."""
    uow, clock = world.uow_factory, world.clock
    bookings = await ListBookings(uow, clock)(uid, limit=limit, offset=b_offset)
    ledger = await ListTransactions(uow)(uid, limit, l_offset)
    redemptions = await ListRedemptions(uow)(uid, 100, 0)
    return {
        "profile": await GetProfile(uow)(uid),
        "loyalty": await GetLoyaltyAccount(uow)(uid),
        "bookings": bookings,
        "ledger": ledger,
        "held": await PointsHeld(uow)([b.id for b in bookings.items if b.id is not None]),
        "ledger_context": await LedgerContextOf(uow)(ledger.items, uid, l_offset),
        "holds": {
            r.booking_id: r.id for r in redemptions.items
            if r.state is RedemptionState.HELD and r.booking_id is not None
        },
    }  # fmt: skip


@pytest.mark.parametrize(("b_offset", "l_offset", "limit"), [(0, 0, 20), (1, 1, 2)])
async def test_member_card_gives_what_the_six_use_cases_gave(
    world: World, b_offset: int, l_offset: int, limit: int
) -> None:
    uid, _ = await _member(world)
    before = await _six_calls(world, uid, b_offset, l_offset, limit)
    card = await MemberCard(world.uow_factory, world.clock, RULES)(uid, b_offset, l_offset, limit)
    for name, value in before.items():
        assert getattr(card, name) == value, name
    assert card.max_percent == D(30)
    for b in card.bookings.items:
        assert card.open_visit(b) is is_open_visit(b, NOW, RULES)
        assert card.cap(b) == redemption_cap(b.price, RULES.max_percent)


async def test_member_card_shows_the_members_whole_page(world: World) -> None:
    uid, ids = await _member(world)
    card = await MemberCard(world.uow_factory, world.clock, RULES)(uid)
    assert card.profile.user.id == uid and card.loyalty.account == card.profile.account
    assert [b.id for b in card.bookings.items] == ids[::-1]  # newest first
    assert card.held == {ids[1]: D("300.00")}
    assert list(card.holds) == [ids[1]]
    assert card.open_visits == {ids[1], ids[2]}  # upcoming; the completed visit is not
    assert card.caps == {ids[0]: D("750.00"), ids[1]: D("600.00"), ids[2]: D("900.00")}
    assert len(card.ledger.items) == 4  # accrual, gift, hold, redemption
    context = card.ledger_context
    assert [a.email for a in context.actors.values()] == ["anna@example.com"]  # staff only
    assert set(context.bookings) == set(ids)
    assert len(context.redemptions) == 2
    newest = card.ledger.items[0]
    assert context.balance_after[newest.id] == card.profile.account.balance  # type: ignore[index]


async def test_member_card_opens_one_unit_of_work(world: World) -> None:
    uid, _ = await _member(world)
    counting = CountingUnitOfWorkFactory(world.uow_factory)
    await MemberCard(counting, world.clock, RULES)(uid, 0, 1)
    assert counting.opened == 1


async def test_member_card_of_an_unknown_member_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await MemberCard(world.uow_factory, world.clock, RULES)(404)
