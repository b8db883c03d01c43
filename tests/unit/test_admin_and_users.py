from __future__ import annotations

from decimal import Decimal

import pytest

from src.application.errors import (
    DuplicateEmail,
    InvalidCredentials,
    NotFound,
    ValidationFailed,
)
from src.application.use_cases.bookings import LinkBookingManually, ListUnmatched
from src.application.use_cases.loyalty import AdjustPoints, GetLoyaltyAccount
from src.application.use_cases.users import Authenticate, RegisterUser
from src.domain.booking import BookingStatus, MatchMethod
from src.domain.loyalty import EntryKind
from tests.fakes.auth import FakeHasher
from tests.unit.conftest import World

D = Decimal


async def test_register_and_login(world: World) -> None:
    register = RegisterUser(world.uow_factory, FakeHasher())
    user = await register(" Maria@Example.com ", "secret123", phone="+7 (916) 555-12-34")
    assert (user.email, user.phone_key, user.unique_code) == (
        "maria@example.com", "9165551234", None,
    )  # fmt: skip
    with pytest.raises(DuplicateEmail):
        await register("MARIA@example.com", "secret123")
    login = Authenticate(world.uow_factory, FakeHasher())
    assert (await login("maria@example.com", "secret123")).id == user.id
    with pytest.raises(InvalidCredentials):
        await login("maria@example.com", "wrong-password")
    with pytest.raises(InvalidCredentials):
        await login("nobody@example.com", "secret123")


@pytest.mark.parametrize(
    ("email", "password", "phone", "field"),
    [
        ("not-an-email", "secret123", None, "email"),
        ("a@b.c", "short", None, "password"),
        ("a@b.c", "secret123", "12-34", "phone"),
    ],
)
async def test_register_validation_names_the_field(
    world: World, email: str, password: str, phone: str | None, field: str
) -> None:
    with pytest.raises(ValidationFailed, match=f"^{field}:"):
        await RegisterUser(world.uow_factory, FakeHasher())(email, password, phone=phone)


async def test_adjust_points_writes_adjustment_with_admin(world: World) -> None:
    maria = await world.user()
    adjust = AdjustPoints(world.uow_factory, world.clock)
    entry = await adjust(maria.id, D("100"), "welcome gift", admin_id=42)
    assert (entry.kind, entry.amount, entry.actor_id) == (EntryKind.ADJUSTMENT, D("100.00"), 42)
    await adjust(maria.id, D("-30.5"), "correction", admin_id=42)
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("69.50")
    with pytest.raises(ValidationFailed, match="negative"):
        await adjust(maria.id, D("-100"), "too much", admin_id=42)
    with pytest.raises(ValidationFailed, match="amount"):
        await adjust(maria.id, D("0"), "nothing", admin_id=42)
    with pytest.raises(NotFound):
        await adjust(999, D("1"), "ghost", admin_id=42)
    assert world.balance(maria.id) == D("69.50")


async def test_manual_link_awards_and_moves_points(world: World) -> None:
    maria = await world.user()
    olga = await world.user("olga@example.com")
    await world.ingest.one(world.record(status=BookingStatus.COMPLETED, email="x@example.com"))
    unmatched = await ListUnmatched(world.uow_factory)()
    assert [b.record_id for b in unmatched.items] == [1]
    booking_id = unmatched.items[0].id
    link = LinkBookingManually(world.uow_factory, world.clock, world.switches)
    linked = await link(booking_id, maria.id, admin_id=42)  # type: ignore[arg-type]
    assert (linked.user_id, linked.match_method) == (maria.id, MatchMethod.MANUAL)
    assert world.balance(maria.id) == D("75.00")
    await link(booking_id, olga.id, admin_id=42)  # type: ignore[arg-type]
    assert world.balance(maria.id) == D("0.00") and world.balance(olga.id) == D("75.00")
    assert world.ledger_sum(maria.id) == 0 and world.ledger_sum(olga.id) == D("75.00")
    steps = [e.step for e in world.booking_entries(booking_id)]
    assert steps == [1, 2, 3]
    with pytest.raises(ValidationFailed):
        await link(booking_id, 999, admin_id=42)  # type: ignore[arg-type]


async def test_loyalty_view(world: World) -> None:
    maria = await world.user(code="ABC23456")
    await world.ingest.one(
        world.record(status=BookingStatus.COMPLETED, comment="Код клиента: ABC23456", price="29000")
    )
    view = await GetLoyaltyAccount(world.uow_factory)(maria.id)
    assert view.account.balance == D("870.00")
    assert view.level.name == "Bronze"
    assert view.next_level is not None and view.next_level.name == "Silver"
    assert view.spend_to_next_level == D("1000.00")
