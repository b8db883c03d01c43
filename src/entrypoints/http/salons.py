"""Admin: the salons (YClients companies) the service keeps in step.

The webhook secret is in the answer only to create and rotate-secret (as `webhook_secret`
and inside `webhook_url`): it is stored as a digest and cannot be shown again."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import HttpMethod, Request, Response, Router, get, patch, post, route
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from msgspec import UNSET, Meta, Struct, UnsetType

from src.application.use_cases.salons import SalonView
from src.domain.salon import MAX_COMPANY_ID, MAX_NAME_LENGTH, Salon, SalonStatus, day_start
from src.entrypoints.http.auth import admin_only
from src.entrypoints.http.errors import error_responses
from src.entrypoints.salon_links import public_base_url, webhook_url
from src.entrypoints.web.dependencies import SalonAdminDep, provide
from src.entrypoints.web.params import MAX_ID

# JSON numbers above 2**53 lose precision in the OpenAPI document (and in clients): ids are
# bounded there, as every other id of the API (`MAX_ID`).
CompanyIdValue = Annotated[int, Meta(ge=1, le=min(MAX_COMPANY_ID, MAX_ID))]
CompanyIdPath = Annotated[
    int, PathParameter(ge=1, le=min(MAX_COMPANY_ID, MAX_ID), description="YClients company id")
]
Name = Annotated[str, Meta(min_length=1, max_length=MAX_NAME_LENGTH)]
Region = Annotated[str, Meta(min_length=2, max_length=2, description="ISO 3166 country code")]
TimeZone = Annotated[str, Meta(min_length=1, max_length=64, description="IANA time zone")]
StatusName = Literal["active", "paused"]


class SalonIn(Struct, forbid_unknown_fields=True):
    company_id: CompanyIdValue
    name: Name
    region: Region | None = None  # default SALON_REGION (RU)
    timezone: TimeZone | None = None  # default ADMIN_TIMEZONE


class SalonPatch(Struct, forbid_unknown_fields=True):
    name: Name | UnsetType = UNSET
    status: StatusName | UnsetType = UNSET
    timezone: TimeZone | UnsetType = UNSET
    region: Region | UnsetType = UNSET


class SalonOut(Struct):
    company_id: int
    name: str
    region: str
    timezone: str
    status: StatusName
    accepts_shared_secret: bool
    created_at: datetime
    changed_at: datetime
    webhook_url: str  # without the secret, except right after create / rotate-secret
    webhook_secret: str | None = None  # only right after create / rotate-secret
    last_sync_at: datetime | None = None
    sync_lag_seconds: int | None = None
    webhooks_today: int | None = None
    held_webhooks: int | None = None


class UnknownCompanyOut(Struct):
    company_id: int
    webhooks_today: int
    held_webhooks: int


class SalonsOut(Struct):
    items: list[SalonOut]
    total: int
    unknown_companies: list[UnknownCompanyOut]  # sent webhooks (held) but are no salon


def _out(
    request: Request[Any, Any, Any],
    salon: Salon,
    secret: str | None = None,
    view: SalonView | None = None,
) -> SalonOut:
    settings = request.app.state.container.settings
    base = public_base_url(settings, str(request.base_url))
    out = SalonOut(
        company_id=salon.company_id, name=salon.name, region=salon.region,
        timezone=salon.timezone, status=salon.status.value,  # type: ignore[arg-type]
        accepts_shared_secret=salon.accepts_shared_secret, created_at=salon.created_at,
        changed_at=salon.changed_at, webhook_url=webhook_url(base, secret), webhook_secret=secret,
    )  # fmt: skip
    if view is not None:
        out.last_sync_at = view.activity.last_sync_at
        out.sync_lag_seconds = int(view.sync_lag.total_seconds()) if view.sync_lag else None
        out.webhooks_today = view.activity.webhooks_since
        out.held_webhooks = view.activity.held
    return out


@get("/salons", responses=error_responses(401, 403), summary="Salons")
async def list_salons(request: Request[Any, Any, Any], salon_admin: SalonAdminDep) -> SalonsOut:
    """Every salon (by company id) with its last successful sync and lag, webhooks received
    today (ADMIN_TIMEZONE) and held; company ids that sent webhooks but are no salon."""
    since = day_start(salon_admin.clock.now(), salon_admin.settings.ADMIN_TIMEZONE)
    overview = await salon_admin.salons.overview(since)
    return SalonsOut(
        items=[_out(request, v.salon, view=v) for v in overview.salons],
        total=len(overview.salons),
        unknown_companies=[
            UnknownCompanyOut(a.company_id, a.webhooks_since, a.held) for a in overview.unknown
        ],
    )


@post(
    "/salons",
    status_code=HTTP_201_CREATED,
    responses=error_responses(401, 403, 409, 422),
    summary="Add a salon",
)
async def add_salon(
    request: Request[Any, Any, Any], salon_admin: SalonAdminDep, data: JSONBody[SalonIn]
) -> SalonOut:
    """201 with the salon, its `webhook_secret` and the `webhook_url` to paste into YClients
    (shown this once). Its first full-window sync is queued. 409 if the company id is a
    salon already."""
    salon, secret = await salon_admin.add_salon(
        data.company_id, data.name, region=data.region, timezone=data.timezone
    )
    return _out(request, salon, secret)


@patch(
    "/salons/{company_id:int}",
    responses=error_responses(401, 403, 404, 422),
    summary="Change a salon: name, status (pause / resume), time zone, region",
)
async def change_salon(
    request: Request[Any, Any, Any],
    salon_admin: SalonAdminDep,
    company_id: CompanyIdPath,
    data: JSONBody[SalonPatch],
) -> SalonOut:
    """A paused salon is not synced and its webhooks are held; resuming it processes them."""

    def given(value: Any) -> Any:
        return None if value is UNSET else value

    status = given(data.status)
    salon = await salon_admin.change_salon(
        company_id,
        name=given(data.name),
        status=SalonStatus(status) if status is not None else None,
        timezone=given(data.timezone),
        region=given(data.region),
    )
    return _out(request, salon)


@post(
    "/salons/{company_id:int}/rotate-secret",
    status_code=HTTP_200_OK,
    responses=error_responses(401, 403, 404),
    summary="A new webhook secret for a salon",
)
async def rotate_salon_secret(
    request: Request[Any, Any, Any], salon_admin: SalonAdminDep, company_id: CompanyIdPath
) -> SalonOut:
    """The new `webhook_secret` and `webhook_url` (shown this once); the old secret, and the
    shared YCLIENTS_WEBHOOK_SECRET, stop working for this salon at once."""
    salon, secret = await salon_admin.rotate_salon_secret(company_id)
    return _out(request, salon, secret)


@route("/salons", http_method=[HttpMethod.OPTIONS], include_in_schema=False, sync_to_thread=False)
def salons_options() -> Response[None]:
    # Litestar builds the automatic OPTIONS answer when a path's first handler is added, so
    # with GET and POST on one path it would announce only the first (as for redemptions).
    return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": "GET, OPTIONS, POST"})


salons_router = Router(
    "/api/v1/admin",
    dependencies=provide("salon_admin"),
    route_handlers=[salons_options, list_salons, add_salon, change_salon, rotate_salon_secret],
    guards=[admin_only],
    tags=["admin"],
)
