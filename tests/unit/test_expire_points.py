"""ExpirePoints over the fakes: a lot expires TTL days after it was credited, for its
unspent remainder, once; spending takes the first-expiring lot; a TTL change applies to new
lots only; the reminder goes out once per lot."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from src.application.switches import Switches
from src.application.use_cases.expire_points import ExpirePoints, ExpiringSoon
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.redemptions import RedeemPoints
from src.domain.booking import BookingStatus
from src.domain.loyalty import EntryKind
from tests.fakes.expiry import FakeExpiryReminders
from tests.unit.conftest import World

D = Decimal
CODE = "Код клиента: ABC23456"


def expirer(world: World, reminders: FakeExpiryReminders, ttl: int = 30) -> ExpirePoints:
    return ExpirePoints(world.uow_factory, world.clock, reminders, ttl_days=ttl, reminder_days=7)


async def _admin_adjust(world: World, user_id: int, amount: str) -> None:
    await AdjustPoints(world.uow_factory, world.clock)(user_id, D(amount), "gift", admin_id=user_id)


async def test_partly_spent_lots_expire_their_remainder_once_first_expiring_first(
    world: World,
) -> None:
    reminders = FakeExpiryReminders()
    run = expirer(world, reminders)
    await run()  # TTL 30 recorded now: lots from here on expire
    maria = await world.user(code="ABC23456")
    await world.ingest.one(world.record(status=BookingStatus.COMPLETED, comment=CODE))  # 75
    world.clock.advance(days=10)
    await _admin_adjust(world, maria.id, "50")  # a second lot, 10 days younger
    await RedeemPoints(world.uow_factory, world.clock)(maria.id, D("60"), "walk-in", maria.id)

    world.clock.advance(days=21)  # day 31: the first lot (75, 60 spent from it) is due
    first = await run()
    again = await run()

    expiries = [e for e in world.store.entries if e.kind is EntryKind.EXPIRY]
    assert [e.amount for e in expiries] == [D("-15.00")]
    assert (first.lots, again.lots) == (1, 0)
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("50.00")

    world.clock.advance(days=10)  # the second lot is due too, never spent
    await run()
    expiries = [e for e in world.store.entries if e.kind is EntryKind.EXPIRY]
    assert [e.amount for e in expiries] == [D("-15.00"), D("-50.00")]
    assert world.balance(maria.id) == world.ledger_sum(maria.id) == D("0.00")


async def test_reminder_goes_out_once_per_lot_before_expiry(world: World) -> None:
    reminders = FakeExpiryReminders()
    run = expirer(world, reminders)
    await run()
    maria = await world.user(code="ABC23456")
    await _admin_adjust(world, maria.id, "40")
    world.clock.advance(days=22)
    await run()
    assert reminders.sent == []  # 8 days left: not yet
    world.clock.advance(days=2)
    await run()
    await run()
    assert [(uid, pts) for uid, pts, _ in reminders.sent] == [(maria.id, D("40.00"))]


async def test_ttl_zero_never_expires_and_a_change_applies_to_new_lots_only(
    world: World,
) -> None:
    reminders = FakeExpiryReminders()
    await expirer(world, reminders, ttl=0)()
    maria = await world.user(code="ABC23456")
    await _admin_adjust(world, maria.id, "40")  # credited under TTL 0
    world.clock.advance(days=1)
    await expirer(world, reminders, ttl=5)()  # TTL 5 from now on
    await _admin_adjust(world, maria.id, "10")
    world.clock.advance(days=400)
    await expirer(world, reminders, ttl=5)()
    expiries = [e.amount for e in world.store.entries if e.kind is EntryKind.EXPIRY]
    assert expiries == [D("-10.00")]
    assert world.balance(maria.id) == D("40.00")


async def test_expiring_soon_lists_open_lots_of_the_next_30_days(world: World) -> None:
    await expirer(world, FakeExpiryReminders())()
    maria = await world.user(code="ABC23456")
    await _admin_adjust(world, maria.id, "40")
    world.clock.advance(days=20)
    await _admin_adjust(world, maria.id, "10")
    await RedeemPoints(world.uow_factory, world.clock)(maria.id, D("15"), "walk-in", maria.id)
    world.clock.advance(days=5)  # lot 1 expires in 5 days, lot 2 in 25, both within 30
    soon = await ExpiringSoon(world.uow_factory, world.clock)(maria.id)
    assert [(s.points, s.expires_at - world.clock.now()) for s in soon] == [
        (D("25.00"), timedelta(days=5)),
        (D("10.00"), timedelta(days=25)),
    ]


async def _reminded(
    world: World, run: ExpirePoints, reminders: FakeExpiryReminders
) -> dict[str, str | None]:
    """Two members with 40 points each, one with a verified email: whom the run writes to."""
    await run()
    maria = await world.user("maria@example.com")
    stranger = await world.user("typed-by-anyone@example.com", verified=False)
    for member in (maria, stranger):
        await _admin_adjust(world, member.id, "40")
    world.clock.advance(days=24)  # 6 days left: inside the 7-day reminder window
    await run()
    by_id = {
        uid: email for (uid, _, _), email in zip(reminders.sent, reminders.emails, strict=True)
    }
    return {"maria": by_id[maria.id], "stranger": by_id[stranger.id]}


async def test_a_reminder_is_emailed_only_to_a_verified_address(world: World) -> None:
    reminders = FakeExpiryReminders()
    emails = await _reminded(world, expirer(world, reminders), reminders)
    # The stranger's reminder is still recorded (and logged for operators), never emailed.
    assert emails == {"maria": "maria@example.com", "stranger": None}


async def test_with_contact_verification_off_any_address_is_reminded(world: World) -> None:
    reminders = FakeExpiryReminders()
    run = ExpirePoints(
        world.uow_factory, world.clock, reminders, ttl_days=30, reminder_days=7,
        switches=Switches(verified_contacts_only=False),
    )  # fmt: skip
    emails = await _reminded(world, run, reminders)
    assert emails == {"maria": "maria@example.com", "stranger": "typed-by-anyone@example.com"}
