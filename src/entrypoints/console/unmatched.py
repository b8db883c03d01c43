"""Unmatched bookings: the desk's to-do list, member candidates for one, linking it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template

from src.application.errors import AppError
from src.application.use_cases.today import day_window
from src.domain.booking import BookingStatus
from src.domain.loyalty import REVERSING_STATUSES
from src.entrypoints.console.auth import signed_in_admin
from src.entrypoints.console.refusals import refuse_to
from src.entrypoints.console.render import HTML, PAGE, Id, Offset, Query, done, fragment, once, page
from src.entrypoints.web.dependencies import UseCases
from src.entrypoints.web.params import MAX_ID


@get("/unmatched")
async def unmatched(
    request: Request[Any, Any, Any],
    container: UseCases,
    offset: Offset = 0,
    show: Annotated[str | None, QueryParameter(max_length=16)] = None,
) -> Template:
    """The desk's to-do list: today and the next days first (nearest first), cancelled and
    missed visits hidden; `show=all`: every unmatched booking, newest first."""
    everything = show == "all"
    words = request.app.state.console_words
    today = container.clock.now().astimezone(words.zone).date()
    bookings = await container.list_unmatched(
        PAGE, offset,
        statuses=None if everything else frozenset(BookingStatus) - REVERSING_STATUSES,
        starts_from=None if everything else day_window(today)[0],
    )  # fmt: skip
    query = "/admin/unmatched?show=all" if everything else "/admin/unmatched"
    return page(request, "unmatched.html", page_=bookings, everything=everything, query=query)


@get("/unmatched/{booking_id:int}/candidates")
async def candidates(container: UseCases, booking_id: Id, q: Query = None) -> Template:
    try:
        found = await container.search_members(q, 10, 0) if q and q.strip() else None
    except AppError as exc:
        return fragment("_candidates.html", booking_id=booking_id, members=None, error=str(exc))
    return fragment(
        "_candidates.html", booking_id=booking_id, members=found.items if found else None,
        error=None,
    )  # fmt: skip


@dataclass
class LinkForm:
    user_id: int
    once: str = ""


@post("/bookings/{booking_id:int}/link", status_code=200, media_type=HTML)
async def link(
    request: Request[Any, Any, Any],
    container: UseCases,
    booking_id: Id,
    data: Annotated[LinkForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    words = request.app.state.console_words
    if not 0 < data.user_id <= MAX_ID:
        return done(
            request, f"{words('could_not')}: user_id: no such member", "/admin/unmatched", False
        )

    async def link_it() -> dict[str, Any]:
        booking = await container.link_booking(
            booking_id, data.user_id, admin_id=signed_in_admin(request).id
        )
        return {"text": words("linked", booking=booking.record_id, member=f"#{data.user_id}")}

    refuse_to(request, "/admin/unmatched")
    answer = await once(request, container, data.once, data, link_it)
    return done(request, answer["text"], f"/admin/members/{data.user_id}")
