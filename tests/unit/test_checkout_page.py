"""Issue 21 item 8: the checkout page is one query use case (`CheckoutPage`): the list in
the state shown and the captured visits missing their discount, in one unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from src.application.use_cases.checkout import CheckoutPage
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.redemptions import CaptureHold, CheckoutList, HoldPoints
from src.domain.booking import BookingStatus
from src.domain.redemption import RedemptionState
from tests.fakes.uow import CountingUnitOfWorkFactory
from tests.unit.conftest import World

D = Decimal
AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
ADMIN = 77


async def _day(world: World) -> int:
    """Two members' visits on AT's day: Maria's hold captured and the visit completed at its
    full price (the discount missing), Olga's hold still HELD; Maria's hold id."""
    holds = []
    for n, (email, code) in enumerate((("maria@x.ru", "ABC23456"), ("olga@x.ru", "DEF23456"))):
        member = await world.user(email, code=code)
        await AdjustPoints(world.uow_factory, world.clock)(member.id, D(1000), "gift", 99)
        record = world.record(n + 1, price=1000, comment=f"Код клиента: {code}",
                              appointment_at=AT + timedelta(hours=n))  # fmt: skip
        await world.ingest.one(record)
        bid = world.booking(n + 1).id
        holds.append(await HoldPoints(world.uow_factory, world.clock)(member.id, bid, D(300)))  # type: ignore[arg-type]
    world.clock.current = AT - timedelta(hours=1)
    await CaptureHold(world.uow_factory, world.clock)(holds[0].id, ADMIN)  # type: ignore[arg-type]
    await world.ingest.one(
        world.record(1, price=1000, comment="Код клиента: ABC23456", appointment_at=AT,
                     status=BookingStatus.COMPLETED)
    )  # fmt: skip
    return holds[0].id  # type: ignore[return-value]


async def test_checkout_page_lists_the_state_and_flags_missing_discounts(world: World) -> None:
    captured = await _day(world)
    counting = CountingUnitOfWorkFactory(world.uow_factory)
    page = CheckoutPage(counting, world.clock)
    held = await page(RedemptionState.HELD, AT.date())
    assert counting.opened == 1
    assert held.lines == await CheckoutList(world.uow_factory, world.clock)(
        RedemptionState.HELD, AT.date()
    )
    assert [line.booking.record_id for line in held.lines] == [2]
    assert [line.redemption.id for line in held.flagged] == [captured]
    # The captured list shown: the same visit listed and flagged, read once.
    shown = await page(RedemptionState.CAPTURED)
    assert [line.redemption.id for line in shown.lines] == [captured]
    assert shown.flagged == shown.lines
    assert counting.opened == 2
