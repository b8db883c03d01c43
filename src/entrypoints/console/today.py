"""The front desk's start page (Сегодня: the day's visits and what to do at checkout) and
staff's cancellation of a hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template

from src.application.errors import AppError
from src.entrypoints.console.auth import signed_in_admin
from src.entrypoints.console.errors import field_error
from src.entrypoints.console.render import HTML, Id, done, once, page, refused, safe_next
from src.entrypoints.web.dependencies import UseCases

REFRESH_SECONDS = 30  # the desk's lists poll this often (htmx), like the sync widget


@get("/")
async def today(
    request: Request[Any, Any, Any],
    container: UseCases,
    day: Annotated[date | None, QueryParameter(name="date")] = None,
) -> Template:
    """Today's visits in the salon's time (or another day's), earliest first."""
    words = request.app.state.console_words
    shown = day or container.clock.now().astimezone(words.zone).date()
    view = await container.today_visits(shown)
    is_today = shown == container.clock.now().astimezone(words.zone).date()
    return page(
        request, "today.html", view=view, day=shown, is_today=is_today,
        back=f"/admin?date={shown.isoformat()}", refresh=REFRESH_SECONDS,
    )  # fmt: skip


@dataclass
class CancelForm:
    reason: str = ""
    back: str = ""  # the console page to show afterwards
    once: str = ""


@post("/redemptions/{redemption_id:int}/cancel", status_code=200, media_type=HTML)
async def cancel_hold(
    request: Request[Any, Any, Any],
    container: UseCases,
    redemption_id: Id,
    data: Annotated[CancelForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    """Staff give a held hold's points back, with a reason (CancelHold)."""
    words = request.app.state.console_words
    to = safe_next(data.back) if data.back else "/admin/checkout"
    typed = {"reason": data.reason}

    async def cancel_it() -> dict[str, Any]:
        r = await container.cancel_hold(
            redemption_id, signed_in_admin(request).id, data.reason[:500]
        )
        return {"text": words("hold_cancelled", points=words.money(r.points))}

    try:
        answer = await once(request, container, data.once, data, cancel_it)
    except AppError as exc:
        field, text = field_error(words, str(exc))
        if field == "reason":  # next to the field; otherwise the form is gone (hold closed)
            return refused(request, to, f"cancel-{redemption_id}", str(exc), typed)
        return done(request, f"{words('could_not')}: {text}", to, ok=False)
    return done(request, answer["text"], to)


TODAY_HANDLERS = [today, cancel_hold]
