"""Loyalty as a member sees it, and the admin's point adjustments."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from src.application.errors import NotFound, ValidationFailed
from src.application.ledger import post_entries
from src.application.ports.clock import Clock
from src.application.ports.paging import Page
from src.application.ports.uow import UnitOfWorkFactory
from src.domain.loyalty import (
    MAX_POINTS,
    EntryKind,
    LedgerEntry,
    LoyaltyAccount,
    LoyaltyLevel,
    level_for,
    next_level,
)
from src.domain.money import ZERO, quantize


@dataclass(frozen=True, slots=True)
class LoyaltyView:
    account: LoyaltyAccount
    level: LoyaltyLevel
    next_level: LoyaltyLevel | None
    spend_to_next_level: Decimal | None


@dataclass(slots=True)
class GetLoyaltyAccount:
    uow_factory: UnitOfWorkFactory

    async def __call__(self, user_id: int) -> LoyaltyView:
        async with self.uow_factory() as uow:
            account = await uow.ledger.get_account(user_id)
            levels = await uow.levels.all()
        return loyalty_view(account, levels)


def loyalty_view(account: LoyaltyAccount, levels: Sequence[LoyaltyLevel]) -> LoyaltyView:
    """The account with its level and what is left to spend to the next one."""
    spend = account.completed_spend
    upcoming = next_level(spend, levels)
    to_next = quantize(upcoming.min_spend - spend) if upcoming else None
    return LoyaltyView(account, level_for(spend, levels), upcoming, to_next)


@dataclass(slots=True)
class ListTransactions:
    uow_factory: UnitOfWorkFactory

    async def __call__(self, user_id: int, limit: int = 20, offset: int = 0) -> Page[LedgerEntry]:
        async with self.uow_factory() as uow:
            return await uow.ledger.entries(user_id, limit, offset)


DEFAULT_MAX_ADJUSTMENT = Decimal(100_000)


@dataclass(slots=True)
class AdjustPoints:
    """Admin: add or remove points with a reason, as an ADJUSTMENT entry in the ledger.
    Returns the stored entry (with its id). `max_amount` bounds one adjustment either way."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    max_amount: Decimal = DEFAULT_MAX_ADJUSTMENT

    async def __call__(
        self, user_id: int, amount: Decimal, reason: str, admin_id: int
    ) -> LedgerEntry:
        amount = quantize(amount)
        if amount == ZERO:
            raise ValidationFailed("amount: must not be zero")
        if abs(amount) > self.max_amount:
            raise ValidationFailed(f"amount: must be at most {self.max_amount} either way")
        if not reason.strip():
            raise ValidationFailed("reason: must not be empty")
        async with self.uow_factory() as uow:
            if await uow.users.get(user_id) is None:
                raise NotFound(f"user {user_id} does not exist")
            account = (await uow.ledger.lock_accounts([user_id]))[user_id]
            if account.balance + amount < ZERO:
                raise ValidationFailed(
                    f"amount: would make the balance negative (balance is {account.balance})"
                )
            if account.balance + amount > MAX_POINTS:
                raise ValidationFailed(f"amount: the balance would exceed {MAX_POINTS}")
            entry = account.post(
                EntryKind.ADJUSTMENT, amount, reason.strip(), self.clock.now(), actor_id=admin_id
            )
            [entry] = await post_entries(uow, [entry], [account])
            await uow.commit()
        return entry


@dataclass(slots=True)
class ConfigureLevels:
    """Make the configured levels (`LOYALTY_LEVELS`) the stored ones; a no-op when equal."""

    uow_factory: UnitOfWorkFactory

    async def __call__(self, levels: Sequence[LoyaltyLevel]) -> bool:
        wanted = sorted(levels, key=lambda lv: lv.min_spend)
        if not wanted:
            raise ValidationFailed("LOYALTY_LEVELS: at least one level is required")
        async with self.uow_factory() as uow:
            if await uow.levels.all() == wanted:
                return False
            await uow.levels.replace(wanted)
            await uow.commit()
        return True
