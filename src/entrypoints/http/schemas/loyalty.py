"""Bodies of the loyalty API: balance, level, ledger entries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from msgspec import Struct

from src.application.use_cases.expire_points import Expiring
from src.application.use_cases.loyalty import LoyaltyView
from src.domain.loyalty import LedgerEntry, LoyaltyLevel
from src.entrypoints.http.schemas.common import Money, money


class LevelOut(Struct):
    name: str
    cashback_percent: Money
    min_spend: Money


def level_out(level: LoyaltyLevel) -> LevelOut:
    return LevelOut(level.name, money(level.cashback_percent), money(level.min_spend))


class ExpiringOut(Struct):
    points: Money
    expires_at: datetime


class LoyaltyOut(Struct):
    balance: Money
    level: LevelOut
    next_level: LevelOut | None
    spend_to_next_level: Money | None
    completed_spend: Money
    expiring_soon: list[ExpiringOut]  # points expiring in the next 30 days, soonest first


def loyalty_out(view: LoyaltyView, expiring: Sequence[Expiring] = ()) -> LoyaltyOut:
    return LoyaltyOut(
        balance=money(view.account.balance),
        level=level_out(view.level),
        next_level=level_out(view.next_level) if view.next_level else None,
        spend_to_next_level=(
            money(view.spend_to_next_level) if view.spend_to_next_level is not None else None
        ),
        completed_spend=money(view.account.completed_spend),
        expiring_soon=[ExpiringOut(money(e.points), e.expires_at) for e in expiring],
    )


class TransactionOut(Struct):
    id: int | None
    kind: Literal["ACCRUAL", "REVERSAL", "ADJUSTMENT", "HOLD", "RELEASE", "REDEMPTION", "EXPIRY"]
    amount: Money
    percent: Money | None
    reason: str
    booking_id: int | None
    created_at: datetime


def transaction_out(e: LedgerEntry) -> TransactionOut:
    return TransactionOut(
        id=e.id,
        kind=e.kind.value,  # type: ignore[arg-type]
        amount=money(e.amount),
        percent=money(e.percent) if e.percent is not None else None,
        reason=e.reason,
        booking_id=e.booking_id,
        created_at=e.created_at,
    )
