"""Bodies of the bookings API: the booking form and the member's visits."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from msgspec import Struct

from src.application.use_cases.client_codes import BookingForm
from src.domain.booking import Booking
from src.entrypoints.http.schemas.common import Money, money


class BookingFormOut(Struct):
    unique_code: str
    comment: str  # exactly "Код клиента: XXXXXXXX"
    widget_url: str | None


def booking_form_out(form: BookingForm) -> BookingFormOut:
    return BookingFormOut(form.unique_code, form.comment, form.widget_url)


class ServiceOut(Struct):
    title: str
    cost: Money


BookingStatusName = Literal["PENDING", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW"]


MatchMethodName = Literal["code", "email", "phone", "manual"]


class BookingOut(Struct, kw_only=True):
    id: int
    company_id: int
    yclients_record_id: int
    status: BookingStatusName
    appointment_datetime: datetime
    price: Money
    services: list[ServiceOut]
    staff_name: str | None
    match_method: MatchMethodName | None
    loyalty_bonuses_awarded: bool
    bonus_points: Money
    bonus_percent: Money | None
    deleted: bool
    created_at: datetime | None
    updated_at: datetime | None
    points_held: Money = "0.00"  # points a HELD redemption sets aside for this visit


def booking_fields(b: Booking) -> dict[str, object]:
    """The fields of `BookingOut`, for it and the structs that extend it."""
    return {
        "id": b.id,
        "company_id": b.company_id,
        "yclients_record_id": b.record_id,
        "status": b.status.value,
        "appointment_datetime": b.local_appointment_at,
        "price": money(b.price),
        "services": [ServiceOut(title, money(cost)) for title, cost in b.services],
        "staff_name": b.staff_name,
        "match_method": b.match_method.value if b.match_method else None,
        "loyalty_bonuses_awarded": b.loyalty_bonuses_awarded,
        "bonus_points": money(b.bonus_points),
        "bonus_percent": money(b.bonus_percent) if b.bonus_percent is not None else None,
        "deleted": b.deleted,
        "created_at": b.created_at,
        "updated_at": b.updated_at,
    }


def booking_out(b: Booking, points_held: Decimal | None = None) -> BookingOut:
    out = BookingOut(**booking_fields(b))  # type: ignore[arg-type]
    if points_held is not None:
        out.points_held = money(points_held)
    return out
