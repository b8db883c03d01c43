"""Bodies of the redemptions API: points a member sets aside for a visit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from src.domain.redemption import Redemption
from src.entrypoints.http.schemas.common import Id, Money, money

PositivePoints = Annotated[
    str,
    Meta(
        description="Points as a decimal string, at most two places, above zero",
        examples=["150.00", "20"],
        pattern=r"^\+?\d{1,9}(\.\d{1,2})?$",
    ),
]


RedemptionStateName = Literal["HELD", "CAPTURED", "RELEASED", "REDEEMED", "REVERSED"]


class RedemptionIn(Struct):
    booking_id: Id
    points: PositivePoints


class RedemptionOut(Struct):
    id: int
    booking_id: int | None
    points: Money
    state: RedemptionStateName
    reason: str
    created_at: datetime
    updated_at: datetime | None


def redemption_out(r: Redemption) -> RedemptionOut:
    assert r.id is not None
    return RedemptionOut(
        id=r.id,
        booking_id=r.booking_id,
        points=money(r.points),
        state=r.state.value,  # type: ignore[arg-type]
        reason=r.reason,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )
