"""What a page of ledger entries points at, for people reading it (the console)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from src.application.ports.uow import UnitOfWorkFactory
from src.domain.booking import Booking
from src.domain.loyalty import LedgerEntry
from src.domain.redemption import Redemption
from src.domain.user import User


@dataclass(frozen=True, slots=True)
class LedgerContext:
    """The bookings and redemptions a page of entries names, by id."""

    bookings: dict[int, Booking] = field(default_factory=dict)
    redemptions: dict[int, Redemption] = field(default_factory=dict)
    actors: dict[int, User] = field(default_factory=dict)  # who made an entry (staff)
    balance_after: dict[int, Decimal] = field(default_factory=dict)  # entry id → balance then


class LedgerContextOf:
    """The visits behind a page of ledger entries: an accrual's booking, a hold's redemption
    and its booking. One read transaction; a page holds at most a few dozen ids."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory

    async def __call__(
        self, entries: Sequence[LedgerEntry], user_id: int | None = None, offset: int = 0
    ) -> LedgerContext:
        """With `user_id` (the page is that member's entries from `offset`, newest first):
        the running balance after each entry too, from the balance now back."""
        context = LedgerContext()
        async with self.uow_factory() as uow:
            for aid in sorted({e.actor_id for e in entries if e.actor_id}):
                actor = await uow.users.get(aid)
                if actor is not None:
                    context.actors[aid] = actor
            if user_id is not None:
                balance = (await uow.ledger.get_account(user_id)).balance
                if offset:  # the newer entries on earlier pages
                    newer = await uow.ledger.entries(user_id, offset, 0)
                    balance -= sum((e.amount for e in newer.items), Decimal(0))
                for e in entries:
                    if e.id is not None:
                        context.balance_after[e.id] = balance
                    balance -= e.amount
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
