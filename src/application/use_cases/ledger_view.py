"""What a page of ledger entries points at, for people reading it (the console)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
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


@dataclass(frozen=True, slots=True)
class LedgerContextOf:
    """The visits behind a page of ledger entries: an accrual's booking, a hold's redemption
    and its booking. One read transaction; a page holds at most a few dozen ids."""

    uow_factory: UnitOfWorkFactory

    async def __call__(
        self, entries: Sequence[LedgerEntry], user_id: int | None = None, offset: int = 0
    ) -> LedgerContext:
        """With `user_id` (the page is that member's entries from `offset`, newest first):
        the running balance after each entry too, from the balance now back."""
        async with self.uow_factory() as uow:
            return await read_ledger_context(uow, entries, user_id, offset)


async def read_ledger_context(
    uow: UnitOfWork, entries: Sequence[LedgerEntry], user_id: int | None = None, offset: int = 0
) -> LedgerContext:
    """`LedgerContextOf` in the caller's transaction: a fixed number of statements (actors,
    redemptions and bookings one query each), however many entries."""
    context = LedgerContext()
    actors = await uow.users.get_many({e.actor_id for e in entries if e.actor_id})
    context.actors.update(actors)
    if user_id is not None:
        balance = (await uow.ledger.get_account(user_id)).balance
        if offset:  # the newer entries on earlier pages
            newer = await uow.ledger.entries(user_id, offset, 0)
            balance -= sum((e.amount for e in newer.items), Decimal(0))
        for e in entries:
            if e.id is not None:
                context.balance_after[e.id] = balance
            balance -= e.amount
    redemptions = await uow.redemptions.get_many(
        {e.redemption_id for e in entries if e.redemption_id}
    )
    context.redemptions.update(redemptions)
    wanted = {e.booking_id for e in entries if e.booking_id}
    wanted |= {r.booking_id for r in redemptions.values() if r.booking_id}
    context.bookings.update(await uow.bookings.get_by_ids(wanted))
    return context
