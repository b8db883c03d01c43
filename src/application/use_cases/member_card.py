"""A member's console page, read in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from src.application.ports.clock import Clock
from src.application.ports.paging import Page
from src.application.ports.uow import UnitOfWorkFactory
from src.application.use_cases.bookings import member_bookings
from src.application.use_cases.ledger_view import LedgerContext, read_ledger_context
from src.application.use_cases.loyalty import LoyaltyView, loyalty_view
from src.application.use_cases.redemptions import held_redemptions
from src.application.use_cases.users import Profile, read_profile
from src.domain.booking import Booking
from src.domain.loyalty import LedgerEntry
from src.domain.redemption import HoldRules, is_open_visit, redemption_cap


@dataclass(frozen=True, slots=True)
class MemberCardView:
    """Everything the member page shows: who, their points, a page of their visits and a
    page of their ledger (with what its entries name)."""

    profile: Profile
    loyalty: LoyaltyView
    bookings: Page[Booking]
    ledger: Page[LedgerEntry]
    ledger_context: LedgerContext
    held: dict[int, Decimal]  # booking id → points held on it (the bookings shown)
    holds: dict[int, int]  # booking id → its HELD redemption's id
    open_visits: frozenset[int]  # ids of the visits shown staff may still spend points on
    caps: dict[int, Decimal]  # booking id → the most points it may be paid with
    max_percent: Decimal  # the rules' cap, as a percentage of a visit's price

    def open_visit(self, booking: Booking) -> bool:
        return booking.id in self.open_visits

    def cap(self, booking: Booking) -> Decimal:
        return self.caps[booking.id] if booking.id in self.caps else Decimal(0)


@dataclass(frozen=True, slots=True)
class MemberCard:
    """Admin: a member's page (`MemberCardView`) in one unit of work, reading through the
    same steps as `GetProfile`, `GetLoyaltyAccount`, `ListBookings`, `ListTransactions`,
    `PointsHeld` and `LedgerContextOf`. Raises `NotFound` for an unknown member."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    rules: HoldRules

    async def __call__(
        self, user_id: int, bookings_offset: int = 0, ledger_offset: int = 0, limit: int = 20
    ) -> MemberCardView:
        now = self.clock.now()
        query = member_bookings(user_id, now, limit=limit, offset=bookings_offset)
        async with self.uow_factory() as uow:
            levels = await uow.levels.all()
            profile = await read_profile(uow, user_id, levels)
            bookings = await uow.bookings.query(query)
            ledger = await uow.ledger.entries(user_id, limit, ledger_offset)
            shown = {b.id: b for b in bookings.items if b.id is not None}
            held = await uow.redemptions.held_points(list(shown)) if shown else {}
            context = await read_ledger_context(uow, ledger.items, user_id, ledger_offset)
            holds = await held_redemptions(uow, user_id)
        return MemberCardView(
            profile=profile,
            loyalty=loyalty_view(profile.account, levels),
            bookings=bookings,
            ledger=ledger,
            ledger_context=context,
            held=held,
            holds=holds,
            open_visits=frozenset(i for i, b in shown.items() if is_open_visit(b, now, self.rules)),
            caps={i: redemption_cap(b.price, self.rules.max_percent) for i, b in shown.items()},
            max_percent=self.rules.max_percent,
        )
