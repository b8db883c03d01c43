"""A member's booking form and own bookings."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get
from litestar.params import FromQuery, QueryParameter

from src.domain.booking import BookingStatus
from src.domain.money import ZERO
from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.params import Limit, Offset, any_case_pattern, parse_choice
from src.entrypoints.http.schemas.booking import (
    BookingFormOut,
    BookingOut,
    booking_form_out,
    booking_out,
)
from src.entrypoints.http.schemas.common import PageOut, page_of
from src.entrypoints.web.dependencies import BookingsDep, Caller, provide

StatusParam = Annotated[
    str | None,
    QueryParameter(
        description="pending|confirmed|completed|cancelled|no_show (case-insensitive)",
        pattern=any_case_pattern(BookingStatus),
    ),
]


@get("/form", responses=error_responses(401), summary="The booking form's client code")
async def booking_form(me: Caller, bookings: BookingsDep) -> BookingFormOut:
    """The caller's unique code (created on the first call) and the exact comment line the
    YClients booking form must carry: `Код клиента: XXXXXXXX`."""
    return booking_form_out(await bookings.issue_booking_form(me.id))


@get("/", responses=error_responses(401), summary="The caller's bookings")
async def list_bookings(
    me: Caller,
    bookings: BookingsDep,
    upcoming_only: FromQuery[bool] = False,
    status: StatusParam = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PageOut[BookingOut]:
    """`upcoming_only=true`: from now on, PENDING or CONFIRMED, nearest first. Otherwise
    every booking, newest first."""
    page = await bookings.list_bookings(
        me.id,
        upcoming_only=upcoming_only,
        status=parse_choice(status, BookingStatus, "status"),
        limit=limit,
        offset=offset,
    )
    held = await bookings.points_held([b.id for b in page.items if b.id is not None])
    return page_of(page, [booking_out(b, held.get(b.id, ZERO)) for b in page.items])  # type: ignore[arg-type]


booking_router = Router(
    "/api/v1/booking",
    route_handlers=[booking_form, list_bookings],
    dependencies=provide("bookings"),
    tags=["bookings"],
)
