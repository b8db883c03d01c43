"""Bodies of the admin API: members, links, adjustments, staff redemptions, checkout, the
inbox and the quarantine."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from src.application.ports.users import MemberSummary
from src.application.use_cases.redemptions import CheckoutLine
from src.domain.booking import Booking
from src.domain.inbox import WebhookEvent
from src.domain.loyalty import LedgerEntry
from src.domain.quarantine import QuarantinedRecord
from src.domain.redemption import Redemption
from src.entrypoints.http.schemas.booking import BookingOut, ServiceOut, booking_fields
from src.entrypoints.http.schemas.common import Id, Money, money
from src.entrypoints.http.schemas.loyalty import TransactionOut, transaction_out
from src.entrypoints.http.schemas.redemptions import (
    PositivePoints,
    RedemptionOut,
    RedemptionStateName,
    redemption_out,
)
from src.entrypoints.web.params import MAX_ID

SignedAmount = Annotated[
    str,
    Meta(
        description="Decimal as a string, at most two places; negative removes points",
        examples=["150.00", "-20"],
        pattern=r"^[+-]?\d{1,9}(\.\d{1,2})?$",
    ),
]


class MemberOut(Struct, kw_only=True):
    """A member in the admin search."""

    id: int
    email: str
    phone: str | None
    name: str | None
    code: str | None
    role: Literal["user", "admin"]
    balance: Money


def member_out(member: MemberSummary) -> MemberOut:
    u = member.user
    return MemberOut(
        id=u.id,
        email=u.email,
        phone=u.phone,
        name=u.name,
        code=u.unique_code,
        role=u.role.value,  # type: ignore[arg-type]
        balance=money(member.balance),
    )


class RoleIn(Struct):
    role: Literal["user", "admin"]


class AdminBookingOut(BookingOut, kw_only=True):
    """What an admin needs to link a booking by hand: who the client is, and why no
    member matched."""

    user_id: int | None
    unmatched_reason: str | None
    client_name: str | None
    client_phone: str | None
    client_email: str | None
    comment: str


def admin_booking_out(b: Booking) -> AdminBookingOut:
    return AdminBookingOut(
        **booking_fields(b),  # type: ignore[arg-type]
        user_id=b.user_id,
        unmatched_reason=b.unmatched_reason,
        client_name=b.client_name,
        client_phone=b.client_phone,
        client_email=b.client_email,
        comment=b.comment,
    )


class LinkIn(Struct):
    user_id: Annotated[
        int, Meta(ge=1, le=MAX_ID, description="An existing member's id (422 otherwise).")
    ]


class AdjustmentIn(Struct):
    amount: SignedAmount
    reason: Annotated[str, Meta(max_length=500, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$")]


class AdjustmentOut(TransactionOut):
    user_id: int
    actor_id: int | None


def adjustment_out(e: LedgerEntry) -> AdjustmentOut:
    base = transaction_out(e)
    return AdjustmentOut(
        **{f: getattr(base, f) for f in base.__struct_fields__},
        user_id=e.user_id,
        actor_id=e.actor_id,
    )


class WebhookEventOut(Struct):
    id: int
    company_id: int
    resource: str
    resource_id: int
    event_status: str
    state: Literal["PENDING", "PROCESSED", "IGNORED", "DEAD", "HELD"]
    attempts: int
    last_error: str | None
    received_at: datetime
    processed_at: datetime | None


def webhook_event_out(e: WebhookEvent) -> WebhookEventOut:
    assert e.id is not None
    return WebhookEventOut(
        id=e.id,
        company_id=e.company_id,
        resource=e.resource,
        resource_id=e.resource_id,
        event_status=e.event_status,
        state=e.state.value,  # type: ignore[arg-type]
        attempts=e.attempts,
        last_error=e.last_error,
        received_at=e.received_at,
        processed_at=e.processed_at,
    )


class StaffRedemptionIn(Struct):
    points: PositivePoints
    reason: Annotated[str, Meta(max_length=500, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$")]
    booking_id: Id | None = None


class StaffRedemptionOut(RedemptionOut):
    user_id: int
    actor_id: int | None
    captured_by: int | None = None  # the admin who captured the hold at checkout
    visit_price: Money | None = None  # the visit's price when the points were set aside


def staff_redemption_out(r: Redemption) -> StaffRedemptionOut:
    base = redemption_out(r)
    return StaffRedemptionOut(
        **{f: getattr(base, f) for f in base.__struct_fields__},
        user_id=r.user_id,
        actor_id=r.actor_id,
        captured_by=r.captured_by,
        visit_price=money(r.visit_price) if r.visit_price is not None else None,
    )


class CheckoutLineOut(Struct):
    """A visit whose points staff deduct at payment, as a discount in YClients."""

    redemption_id: int
    points: Money
    state: RedemptionStateName
    booking_id: int
    yclients_record_id: int
    appointment_datetime: datetime
    services: list[ServiceOut]
    price: Money
    member_id: int
    member_name: str | None
    member_phone: str | None
    booking_status: str = ""  # PENDING, CONFIRMED, COMPLETED, ...
    visit_price: Money | None = None  # the price when the points were set aside (the cap's base)
    captured_by: int | None = None  # the admin who captured the hold at checkout
    # Captured, and the visit completed at its full pre-hold price: check the discount.
    discount_missing: bool = False


def checkout_line_out(line: CheckoutLine) -> CheckoutLineOut:
    r, b, m = line.redemption, line.booking, line.member
    assert r.id is not None and b.id is not None
    return CheckoutLineOut(
        redemption_id=r.id,
        points=money(r.points),
        state=r.state.value,  # type: ignore[arg-type]
        booking_id=b.id,
        yclients_record_id=b.record_id,
        appointment_datetime=b.local_appointment_at,
        services=[ServiceOut(title, money(cost)) for title, cost in b.services],
        price=money(b.price),
        member_id=r.user_id,
        member_name=m.name if m else None,
        member_phone=m.phone if m else None,
        booking_status=b.status.value,
        visit_price=money(r.visit_price) if r.visit_price is not None else None,
        captured_by=r.captured_by,
        discount_missing=line.discount_missing,
    )


class QuarantinedRecordOut(Struct):
    """A YClients record set aside: which one, where it came from and why (never its data)."""

    id: int
    company_id: int
    record_id: int
    source: str  # sync | webhook
    field: str | None
    reason: str
    quarantined_at: datetime


def quarantined_record_out(q: QuarantinedRecord) -> QuarantinedRecordOut:
    assert q.id is not None
    return QuarantinedRecordOut(
        id=q.id,
        company_id=q.company_id,
        record_id=q.record_id,
        source=q.source,
        field=q.field,
        reason=q.reason,
        quarantined_at=q.quarantined_at,
    )
