"""Admin: unmatched bookings and manual links, member search and roles, point adjustments,
the webhook inbox, records set aside."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Router, get, patch, post
from litestar.params import HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_202_ACCEPTED

from src.application.errors import ValidationFailed
from src.application.use_cases.once import fingerprint
from src.domain.inbox import EventState
from src.domain.money import AmountError, parse_amount
from src.domain.redemption import RedemptionState
from src.domain.user import Role
from src.entrypoints.http.auth import admin_only
from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.params import Limit, Offset, any_case_pattern, parse_choice
from src.entrypoints.http.schemas.admin import (
    AdjustmentIn,
    AdjustmentOut,
    AdminBookingOut,
    CheckoutLineOut,
    LinkIn,
    MemberOut,
    QuarantinedRecordOut,
    RoleIn,
    StaffRedemptionIn,
    StaffRedemptionOut,
    WebhookEventOut,
    adjustment_out,
    admin_booking_out,
    checkout_line_out,
    member_out,
    quarantined_record_out,
    staff_redemption_out,
    webhook_event_out,
)
from src.entrypoints.http.schemas.common import PageOut, page_of
from src.entrypoints.http.schemas.users import UserOut, user_out
from src.entrypoints.web.dependencies import AdminDep, Caller, provide
from src.entrypoints.web.params import PathId
from src.entrypoints.wiring.groups import Admin

Out = TypeVar("Out")

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        max_length=100,
        description=(
            "A one-time key (8-100 letters, digits or . _ : -; a UUID will do): the action is "
            "applied at most once per admin and key, and a repeat answers with the first "
            "result. The same key with another request is a 422; while the first request "
            "runs, a repeat waits, then 409."
        ),
    ),
]


async def at_most_once(
    admin: Admin,
    actor_id: int,
    key: str | None,
    action: str,
    data: Any,
    out: type[Out],
    make: Callable[[], Awaitable[Out]],
) -> Out:
    """`make()`, or with an Idempotency-Key, the first answer given to this admin and key."""
    if key is None:
        return await make()

    async def run() -> str:
        return msgspec.json.encode(await make()).decode()

    action = f"api {action}"
    request_digest = fingerprint(action, msgspec.json.encode(data).decode())
    text = await admin.run_once(actor_id, key, action, request_digest, run)
    return msgspec.json.decode(text, type=out)


def amount(text: str, field: str) -> Any:
    """The one rule for amounts (src/domain/money.py), as a 422 naming the field."""
    try:
        return parse_amount(text)
    except AmountError as exc:
        raise ValidationFailed(f"{field}: {exc}") from exc


StateParam = Annotated[
    str | None,
    QueryParameter(
        name="state",
        description="pending|processed|ignored|dead|held (case-insensitive)",
        pattern=any_case_pattern(EventState),
    ),
]


@get(
    "/bookings/unmatched",
    responses=error_responses(401, 403),
    summary="Bookings no member was linked to",
)
async def list_unmatched_bookings(
    admin: AdminDep, limit: Limit = 20, offset: Offset = 0
) -> PageOut[AdminBookingOut]:
    """Each with the client's contacts and `unmatched_reason`, newest first."""
    page = await admin.list_unmatched(limit, offset)
    return page_of(page, [admin_booking_out(b) for b in page.items])


@post(
    "/bookings/{booking_id:int}/link",
    status_code=HTTP_200_OK,
    responses=error_responses(401, 403, 404, 422),
    summary="Link a booking to a member by hand",
)
async def link_booking(
    admin: AdminDep,
    me: Caller,
    booking_id: PathId,
    data: JSONBody[LinkIn],
    idempotency_key: IdempotencyKey = None,
) -> AdminBookingOut:
    """Points the booking earned for another member move to this one (REVERSAL there)."""

    async def make() -> AdminBookingOut:
        return admin_booking_out(await admin.link_booking(booking_id, data.user_id, admin_id=me.id))

    return await at_most_once(
        admin, me.id, idempotency_key, f"link {booking_id}", data, AdminBookingOut, make
    )


SearchParam = Annotated[
    str | None,
    QueryParameter(
        name="q",
        description="email, phone (any format), unique code or name; a substring, any case",
        max_length=100,
    ),
]


@get("/users", responses=error_responses(401, 403, 422), summary="Find members")
async def search_users(
    admin: AdminDep, q: SearchParam = None, limit: Limit = 20, offset: Offset = 0
) -> PageOut[MemberOut]:
    """By email, phone (any spelling: matched by its number's key), unique code or name;
    newest first.
    Without `q`, every member."""
    page = await admin.search_members(q, limit, offset)
    return page_of(page, [member_out(m) for m in page.items])


@patch(
    "/users/{user_id:int}",
    responses=error_responses(401, 403, 404, 409, 422),
    summary="Change a member's role",
)
async def update_user(admin: AdminDep, user_id: PathId, data: JSONBody[RoleIn]) -> UserOut:
    """`{"role": "admin"}` or `{"role": "user"}`; demoting the last admin is a 409."""
    return user_out(await admin.change_role(user_id, Role(data.role)))


@post(
    "/users/{user_id:int}/points",
    status_code=HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 422),
    summary="Add or remove a member's points",
)
async def adjust_points(
    admin: AdminDep,
    me: Caller,
    user_id: PathId,
    data: JSONBody[AdjustmentIn],
    idempotency_key: IdempotencyKey = None,
) -> AdjustmentOut:
    """An ADJUSTMENT ledger entry signed by the calling admin; a balance never goes negative."""
    points = amount(data.amount, "amount")

    async def make() -> AdjustmentOut:
        return adjustment_out(await admin.adjust_points(user_id, points, data.reason, me.id))

    return await at_most_once(
        admin, me.id, idempotency_key, f"adjust {user_id}", data, AdjustmentOut, make
    )


@post(
    "/users/{user_id:int}/redemptions",
    status_code=HTTP_201_CREATED,
    responses=error_responses(401, 403, 404, 422),
    summary="Spend a member's points now (walk-ins, corrections)",
)
async def redeem_points(
    admin: AdminDep,
    me: Caller,
    user_id: PathId,
    data: JSONBody[StaffRedemptionIn],
    idempotency_key: IdempotencyKey = None,
) -> StaffRedemptionOut:
    """A REDEMPTION ledger entry signed by the calling admin, at most the member's balance;
    `booking_id`, when given, must be one of the member's open visits (today or upcoming,
    pending or confirmed) without an active hold, and the points within the cap a hold has
    (`REDEMPTION_MAX_PERCENT` of its price, earlier staff spending on it included)."""
    points = amount(data.points, "points")

    async def make() -> StaffRedemptionOut:
        r = await admin.redeem_points(
            user_id, points, data.reason, me.id, booking_id=data.booking_id
        )
        return staff_redemption_out(r)

    return await at_most_once(
        admin, me.id, idempotency_key, f"redeem {user_id}", data, StaffRedemptionOut, make
    )


@post(
    "/redemptions/{redemption_id:int}/capture",
    status_code=HTTP_200_OK,
    responses=error_responses(401, 403, 404, 409),
    summary="Checkout: deduct a member's held points now",
)
async def capture_hold(admin: AdminDep, me: Caller, redemption_id: PathId) -> StaffRedemptionOut:
    """Staff confirm at payment that the held points are deducted (enter them as a discount
    in YClients too): the hold becomes CAPTURED, signed by the calling admin, before YClients
    reports the visit, and the member can no longer give it back. From the start of the
    visit's day (or `HOLD_LOCK_HOURS_BEFORE`); 409 if it is not HELD or its visit is
    cancelled. A cancellation, no-show or deletion afterwards gives the points back."""
    return staff_redemption_out(await admin.capture_hold(redemption_id, me.id))


RedemptionStateParam = Annotated[
    str | None,
    QueryParameter(
        name="state",
        description="held|captured|released|redeemed|reversed (case-insensitive; default held)",
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
    admin: AdminDep, state_: RedemptionStateParam = None, date_: DateParam = None
) -> list[CheckoutLineOut]:
    """Visits on a salon-local date whose member holds points on them, earliest first: the
    member's name and phone, the visit's time, services and price, the points to deduct.
    Staff enter the points as a discount in YClients at payment and capture the hold
    (`POST /redemptions/{id}/capture`). `discount_missing`: a captured hold on a visit that
    completed at its full price from before the hold (the discount was probably not entered)."""
    state = parse_choice(state_, RedemptionState, "state") or RedemptionState.HELD
    return [checkout_line_out(line) for line in await admin.checkout_list(state, date_)]


@get("/webhook-events", responses=error_responses(401, 403), summary="The webhook inbox")
async def list_webhook_events(
    admin: AdminDep,
    state_: StateParam = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PageOut[WebhookEventOut]:
    """Newest first, optionally one state: PENDING, PROCESSED, IGNORED or DEAD."""
    page = await admin.webhook_events.page(parse_choice(state_, EventState, "state"), limit, offset)
    return page_of(page, [webhook_event_out(e) for e in page.items])


@post(
    "/webhook-events/{event_id:int}/replay",
    status_code=HTTP_202_ACCEPTED,
    responses=error_responses(401, 403, 404, 422),
    summary="Process a (dead) webhook event again",
)
async def replay_webhook_event(admin: AdminDep, event_id: PathId) -> WebhookEventOut:
    """Back to PENDING with its attempts reset, and queued; IGNORED events are refused."""
    return webhook_event_out(await admin.replay_webhook(event_id))


@get(
    "/quarantined-records",
    responses=error_responses(401, 403),
    summary="YClients records set aside (could not be read or stored)",
)
async def list_quarantined_records(
    admin: AdminDep,
    company_id: Annotated[int | None, QueryParameter(ge=1, le=2**63 - 1)] = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> PageOut[QuarantinedRecordOut]:
    """Newest first, optionally one company's. A sync page or a webhook batch sets a record
    aside here, with the reason, instead of failing its neighbours; it is counted in the run's
    `errors` (or its event keeps the error). The next version of the record that can be
    stored replaces it in `bookings`; the row here stays as history of the last failure."""
    page = await admin.quarantined_records.page(company_id, limit, offset)
    return page_of(page, [quarantined_record_out(q) for q in page.items])


admin_router = Router(
    "/api/v1/admin",
    dependencies=provide("admin"),
    route_handlers=[
        list_unmatched_bookings,
        link_booking,
        search_users,
        update_user,
        adjust_points,
        redeem_points,
        capture_hold,
        checkout_list,
        list_webhook_events,
        replay_webhook_event,
        list_quarantined_records,
    ],
    guards=[admin_only],
    tags=["admin"],
)
