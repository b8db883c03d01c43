"""A member spends points on an upcoming visit: holds, their release, the list."""

from __future__ import annotations

from decimal import Decimal

from litestar import HttpMethod, Response, Router, delete, get, post, route
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT

from src.entrypoints.http.errors import error_responses
from src.entrypoints.http.params import Limit, Offset
from src.entrypoints.http.schemas.common import PageOut, page_of
from src.entrypoints.http.schemas.redemptions import RedemptionIn, RedemptionOut, redemption_out
from src.entrypoints.web.dependencies import Caller, RedemptionsDep, provide
from src.entrypoints.web.params import PathId


@post(
    "/",
    status_code=HTTP_201_CREATED,
    responses=error_responses(401, 404, 409, 422),
    summary="Hold points for one of the caller's upcoming visits",
)
async def hold_points(
    me: Caller, redemptions: RedemptionsDep, data: JSONBody[RedemptionIn]
) -> RedemptionOut:
    """A HOLD entry sets the points aside: at most the balance and `REDEMPTION_MAX_PERCENT`
    of the booking's price, one active redemption per booking (409 otherwise). Staff deduct
    them at payment; the visit's completion captures them, a cancellation gives them back."""
    r = await redemptions.hold_points(me.id, data.booking_id, Decimal(data.points))
    return redemption_out(r)


@delete(
    "/{redemption_id:int}",
    status_code=HTTP_200_OK,
    responses=error_responses(401, 404, 409),
    summary="Give back a hold until the visit's day",
)
async def release_hold(
    me: Caller, redemptions: RedemptionsDep, redemption_id: PathId
) -> RedemptionOut:
    """A RELEASE entry gives the points back. From the start of the visit's day in the salon's
    time (or `HOLD_LOCK_HOURS_BEFORE` hours before it) the hold is the salon's: 409 saying so;
    staff deduct it at checkout and a cancelled visit gives it back."""
    return redemption_out(await redemptions.release_hold(me.id, redemption_id))


@get("/", responses=error_responses(401), summary="The caller's redemptions")
async def list_redemptions(
    me: Caller, redemptions: RedemptionsDep, limit: Limit = 20, offset: Offset = 0
) -> PageOut[RedemptionOut]:
    """Newest first: HELD, CAPTURED (spent on the visit), RELEASED, REDEEMED (by staff),
    REVERSED (captured, then the visit was cancelled: the points came back)."""
    page = await redemptions.list_redemptions(me.id, limit, offset)
    return page_of(page, [redemption_out(r) for r in page.items])


@route("/", http_method=[HttpMethod.OPTIONS], include_in_schema=False, sync_to_thread=False)
def redemptions_options() -> Response[None]:
    # Litestar builds the automatic OPTIONS answer when a path's first handler is added, so
    # with GET and POST on one path it would announce only the first.
    return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": "GET, OPTIONS, POST"})


redemptions_router = Router(
    "/api/v1/loyalty/redemptions",
    dependencies=provide("redemptions"),
    route_handlers=[redemptions_options, hold_points, release_hold, list_redemptions],
    tags=["loyalty"],
)
