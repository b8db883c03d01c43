"""Admin: unmatched bookings and manual links, point adjustments, the webhook inbox."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from litestar import Router, get, post
from litestar.params import JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from src.domain.inbox import EventState
from src.domain.redemption import RedemptionState
from src.entrypoints.http.auth import admin_only
from src.entrypoints.http.dependencies import Caller, UseCases
from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.params import Limit, Offset, PathId, any_case_pattern, parse_choice
from src.entrypoints.http.schemas import (
    AdjustmentIn,
    AdjustmentOut,
    AdminBookingOut,
    CheckoutLineOut,
    LinkIn,
    PageOut,
    StaffRedemptionIn,
    StaffRedemptionOut,
    WebhookEventOut,
    adjustment_out,
    admin_booking_out,
    checkout_line_out,
    page_of,
    staff_redemption_out,
    webhook_event_out,
)

StateParam = Annotated[
    str | None,
    QueryParameter(
        name="state",
        description="pending|processed|ignored|dead (case-insensitive)",
        pattern=any_case_pattern(EventState),
    ),
]


@get(
    "/bookings/unmatched",
    responses=error_responses(401, 403),
    summary="Bookings no member was linked to",
)
async def list_unmatched_bookings(
    container: UseCases, limit: Limit = 20, offset: Offset = 0
) -> PageOut[AdminBookingOut]:
    """Each with the client's contacts and `unmatched_reason`, newest first."""
    page = await container.list_unmatched(limit, offset)
    return page_of(page, [admin_booking_out(b) for b in page.items])


@post(
    "/bookings/{booking_id:int}/link",
    status_code=HTTP_200_OK,
    responses=error_responses(401, 403, 404, 422),
    summary="Link a booking to a member by hand",
)
async def link_booking(
    container: UseCases,
    me: Caller,
    booking_id: PathId,
    data: JSONBody[LinkIn],
) -> AdminBookingOut:
    """Points the booking earned for another member move to this one (REVERSAL there)."""
    booking = await container.link_booking(booking_id, data.user_id, admin_id=me.id)
    return admin_booking_out(booking)


@post(
    "/users/{user_id:int}/points",
    status_code=HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 422),
    summary="Add or remove a member's points",
)
async def adjust_points(
    container: UseCases,
    me: Caller,
    user_id: PathId,
    data: JSONBody[AdjustmentIn],
) -> AdjustmentOut:
    """An ADJUSTMENT ledger entry signed by the calling admin; a balance never goes negative."""
    entry = await container.adjust_points(user_id, Decimal(data.amount), data.reason, me.id)
    return adjustment_out(entry)


@post(
    "/users/{user_id:int}/redemptions",
    status_code=HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 422),
    summary="Spend a member's points now (walk-ins, corrections)",
)
async def redeem_points(
    container: UseCases,
    me: Caller,
    user_id: PathId,
    data: JSONBody[StaffRedemptionIn],
) -> StaffRedemptionOut:
    """A REDEMPTION ledger entry signed by the calling admin, at most the member's balance;
    `booking_id`, when given, must be one of the member's bookings."""
    r = await container.redeem_points(
        user_id, Decimal(data.points), data.reason, me.id, booking_id=data.booking_id
    )
    return staff_redemption_out(r)


RedemptionStateParam = Annotated[
    str | None,
    QueryParameter(
        name="state",
        description="held|captured|released|redeemed (case-insensitive; default held)",
        pattern=any_case_pattern(RedemptionState),
    ),
]
DateParam = Annotated[
    date | None,
    QueryParameter(
        name="date", description="YYYY-MM-DD, the salon's local date of the visits (default today)"
    ),
]


@get(
    "/redemptions",
    responses=error_responses(400, 401, 403),
    summary="Checkout list: points to deduct at payment",
)
async def checkout_list(
    container: UseCases, state_: RedemptionStateParam = None, date_: DateParam = None
) -> list[CheckoutLineOut]:
    """Visits on a salon-local date whose member holds points on them, earliest first: the
    member's name and phone, the visit's time, services and price, the points to deduct.
    Staff enter the points as a discount in YClients at payment."""
    state = parse_choice(state_, RedemptionState, "state") or RedemptionState.HELD
    return [checkout_line_out(line) for line in await container.checkout_list(state, date_)]


@get("/webhook-events", responses=error_responses(401, 403), summary="The webhook inbox")
async def list_webhook_events(
    container: UseCases,
    state_: StateParam = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PageOut[WebhookEventOut]:
    """Newest first, optionally one state: PENDING, PROCESSED, IGNORED or DEAD."""
    page = await container.webhook_events.list(
        parse_choice(state_, EventState, "state"), limit, offset
    )
    return page_of(page, [webhook_event_out(e) for e in page.items])


@post(
    "/webhook-events/{event_id:int}/replay",
    status_code=HTTP_202_ACCEPTED,
    responses=error_responses(401, 403, 404, 422),
    summary="Process a (dead) webhook event again",
)
async def replay_webhook_event(container: UseCases, event_id: PathId) -> WebhookEventOut:
    """Back to PENDING with its attempts reset, and queued; IGNORED events are refused."""
    return webhook_event_out(await container.replay_webhook(event_id))


admin_router = Router(
    "/api/v1/admin",
    route_handlers=[
        list_unmatched_bookings,
        link_booking,
        adjust_points,
        redeem_points,
        checkout_list,
        list_webhook_events,
        replay_webhook_event,
    ],
    guards=[admin_only],
    tags=["admin"],
)
