"""What a page of ledger entries points at, for people reading it (the console)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from src.application.ports.uow import UnitOfWorkFactory
from src.domain.booking import Booking
from src.domain.loyalty import LedgerEntry
from src.domain.redemption import Redemption


@dataclass(frozen=True, slots=True)
class LedgerContext:
    """The bookings and redemptions a page of entries names, by id."""

    bookings: dict[int, Booking] = field(default_factory=dict)
    redemptions: dict[int, Redemption] = field(default_factory=dict)


class LedgerContextOf:
    """The visits behind a page of ledger entries: an accrual's booking, a hold's redemption
    and its booking. One read transaction; a page holds at most a few dozen ids."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory

    async def __call__(self, entries: Sequence[LedgerEntry]) -> LedgerContext:
        context = LedgerContext()
        async with self.uow_factory() as uow:
            for rid in sorted({e.redemption_id for e in entries if e.redemption_id}):
                redemption = await uow.redemptions.get(rid)
                if redemption is not None:
                    context.redemptions[rid] = redemption
            wanted = {e.booking_id for e in entries if e.booking_id}
            wanted |= {r.booking_id for r in context.redemptions.values() if r.booking_id}
            for bid in sorted(wanted):
                booking = await uow.bookings.get(bid)
                if booking is not None:
                    context.bookings[bid] = booking
        return context
