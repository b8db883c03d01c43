"""Bodies of the redemptions API: points a member sets aside for a visit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from src.domain.redemption import Redemption
from src.entrypoints.http.schemas.common import Money, money
from src.entrypoints.web.params import MAX_ID

# Above zero, at most two places and nine digits before the point: "0" and "0.00" do not
# match (a nonzero digit before the point, or a nonzero fraction after zeros).
POSITIVE_POINTS_PATTERN = r"^\+?(?:0*[1-9][0-9]{0,8}(?:\.[0-9]{1,2})?|0+\.(?:0[1-9]|[1-9][0-9]?))$"
PositivePoints = Annotated[
    str,
    Meta(
        description="Points as a decimal string, at most two places, above zero",
        examples=["150.00", "20"],
        pattern=POSITIVE_POINTS_PATTERN,
        max_length=16,
    ),
]


RedemptionStateName = Literal["HELD", "CAPTURED", "RELEASED", "REDEEMED", "REVERSED"]


class RedemptionIn(Struct):
    booking_id: Annotated[
        int,
        Meta(
            ge=1,
            le=MAX_ID,
            description=(
                "One of the member's own bookings (404 otherwise), upcoming (PENDING or "
                "CONFIRMED: 422 otherwise), without an active hold (409)."
            ),
        ),
    ]
    points: Annotated[
        str,
        Meta(
            description=(
                "Points to set aside, as a decimal string above zero with at most two places; "
                "at most the balance and REDEMPTION_MAX_PERCENT of the visit's price, less "
                "what staff already redeemed on it (422 otherwise)."
            ),
            examples=["150.00", "20"],
            pattern=POSITIVE_POINTS_PATTERN,
            max_length=16,
        ),
    ]


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
