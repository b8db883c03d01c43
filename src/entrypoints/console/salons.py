"""The console's Salons page: every salon with its status, last sync and lag, webhooks today
and held; unknown company ids that sent webhooks; add a salon, pause / resume, rotate the
webhook secret. The secret is shown once, in the answer to add / rotate (rendered, never
put in the session or a redirect)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from src.application.errors import AppError
from src.domain.salon import Salon, SalonStatus, day_start
from src.entrypoints.console.refusals import refuse_to
from src.entrypoints.console.render import HTML, Id, done, page
from src.entrypoints.salon_links import public_base_url, webhook_url
from src.entrypoints.web.dependencies import SalonAdminDep
from src.entrypoints.wiring.groups import SalonAdmin

TO = "/admin/salons"


async def _render(
    request: Request[Any, Any, Any],
    salon_admin: SalonAdmin,
    *,
    revealed: tuple[Salon, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Template:
    since = day_start(salon_admin.clock.now(), salon_admin.settings.ADMIN_TIMEZONE)
    overview = await salon_admin.salons.overview(since)
    base = public_base_url(salon_admin.settings, str(request.base_url))
    shown = None
    if revealed is not None:
        salon, secret = revealed
        shown = {"company_id": salon.company_id, "name": salon.name,
                 "url": webhook_url(base, secret)}  # fmt: skip
    template = page(
        request, "salons.html", overview=overview, revealed=shown, error=error,
        webhook_url=webhook_url(base, None),
    )  # fmt: skip
    template.status_code = status_code
    return template


@get("/salons")
async def salons(request: Request[Any, Any, Any], salon_admin: SalonAdminDep) -> Template:
    return await _render(request, salon_admin)


@dataclass
class SalonForm:
    company_id: str = ""
    name: str = ""
    region: str = ""
    timezone: str = ""


@post("/salons", status_code=200, media_type=HTML)
async def add_salon(
    request: Request[Any, Any, Any],
    salon_admin: SalonAdminDep,
    data: Annotated[SalonForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    words = request.app.state.console_words
    company_id = data.company_id.strip()
    if not company_id.isdigit() or len(company_id) > 19:
        error = f"{words('could_not')}: company_id: {words('salon_id_hint')}"
        return await _render(request, salon_admin, error=error, status_code=422)
    try:
        revealed = await salon_admin.add_salon(
            int(company_id), data.name[:300], region=data.region.strip()[:10] or None,
            timezone=data.timezone.strip()[:100] or None,
        )  # fmt: skip
    except AppError as exc:
        return await _render(request, salon_admin, error=f"{words('could_not')}: {exc}",
                             status_code=409 if "exists" in str(exc) else 422)  # fmt: skip
    return await _render(request, salon_admin, revealed=revealed)


@dataclass
class StatusForm:
    status: str = ""


@post("/salons/{company_id:int}/status", status_code=200, media_type=HTML)
async def set_status(
    request: Request[Any, Any, Any],
    salon_admin: SalonAdminDep,
    company_id: Id,
    data: Annotated[StatusForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    words = request.app.state.console_words
    try:
        status = SalonStatus(data.status)
    except ValueError:
        return done(request, f"{words('could_not')}: status: {data.status[:20]!r}", TO, ok=False)
    refuse_to(request, TO)
    salon = await salon_admin.change_salon(company_id, status=status)
    key = "salon_resumed" if salon.active else "salon_paused_done"
    return done(request, words(key, company=salon.company_id), TO)


@post("/salons/{company_id:int}/rotate", status_code=200, media_type=HTML)
async def rotate(
    request: Request[Any, Any, Any], salon_admin: SalonAdminDep, company_id: Id
) -> Any:
    refuse_to(request, TO)
    revealed = await salon_admin.rotate_salon_secret(company_id)
    return await _render(request, salon_admin, revealed=revealed)


SALON_HANDLERS = [salons, add_salon, set_status, rotate]
