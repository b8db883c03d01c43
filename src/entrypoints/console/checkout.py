"""Checkout: the day's visits with points held, capturing a hold at payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template

from src.application.ports.paging import Page
from src.domain.redemption import RedemptionState
from src.entrypoints.console.auth import signed_in_admin
from src.entrypoints.console.refusals import refuse_to
from src.entrypoints.console.render import HTML, PAGE, Id, Offset, done, page, safe_next
from src.entrypoints.web.dependencies import UseCases


@dataclass
class CaptureForm:
    back: str = ""  # the console page to show afterwards


@post("/redemptions/{redemption_id:int}/capture", status_code=200, media_type=HTML)
async def capture(
    request: Request[Any, Any, Any],
    container: UseCases,
    redemption_id: Id,
    data: Annotated[CaptureForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    """Checkout: the held points are deducted now (CaptureHold), signed by this admin."""
    words = request.app.state.console_words
    to = safe_next(data.back) if data.back else "/admin/checkout"
    refuse_to(request, to)
    r = await container.capture_hold(redemption_id, signed_in_admin(request).id)
    return done(request, words("captured", points=words.money(r.points)), to)


@get("/checkout")
async def checkout(
    request: Request[Any, Any, Any],
    container: UseCases,
    day: Annotated[date | None, QueryParameter(name="date")] = None,
    state_: Annotated[str | None, QueryParameter(name="state", max_length=16)] = None,
    offset: Offset = 0,
) -> Template:
    """Visits of a salon-local day (today by default) with points held to deduct at payment,
    earliest first."""
    words = request.app.state.console_words
    state = next(
        (s for s in RedemptionState if s.value == (state_ or "").upper()), RedemptionState.HELD
    )
    view = await container.checkout_page(state, day)
    lines = view.lines
    shown = day or container.clock.now().astimezone(words.zone).date()
    query = f"/admin/checkout?date={shown.isoformat()}&state={state.value}"
    shown_lines = Page(lines[offset : offset + PAGE], len(lines), PAGE, offset)
    return page(
        request, "checkout.html", lines=shown_lines,
        total_points=sum((line.redemption.points for line in lines), Decimal(0)),
        day=shown, state=state.value, states=list(RedemptionState), query=query,
        flagged=view.flagged, back=f"{query}&offset={offset}", refresh=30,
        is_today=shown == container.clock.now().astimezone(words.zone).date(),
    )  # fmt: skip
