"""Unmatched bookings: the desk's to-do list (each card with the members its contacts point
at, for the whole page at once), a search for one, linking it with an undo, and "not a
member" per client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, QueryParameter
from litestar.response import Template

from src.application.errors import AppError
from src.application.use_cases.today import day_window
from src.application.use_cases.unmatched import UndoRefused
from src.domain.booking import BookingStatus
from src.domain.loyalty import REVERSING_STATUSES
from src.entrypoints.console.auth import signed_in_admin
from src.entrypoints.console.htmx import is_htmx
from src.entrypoints.console.refusals import refuse_to
from src.entrypoints.console.render import HTML, PAGE, Id, Offset, Query, done, fragment, once, page
from src.entrypoints.web.dependencies import UseCases
from src.entrypoints.web.params import MAX_ID

LIST = "/admin/unmatched"
SHOWS = {"all": f"{LIST}?show=all", "hidden": f"{LIST}?show=hidden"}


def _back(target: str) -> str:
    """One of the list's own addresses (the form says which it came from); never anywhere
    else."""
    return target if target in (LIST, *SHOWS.values()) else LIST


def _htmx(request: Request[Any, Any, Any]) -> bool:
    return is_htmx(request)


@get("/unmatched")
async def unmatched(
    request: Request[Any, Any, Any],
    container: UseCases,
    offset: Offset = 0,
    show: Annotated[str | None, QueryParameter(max_length=16)] = None,
) -> Template:
    """The desk's to-do list: today and the next days first (nearest first), cancelled and
    missed visits and clients marked "not a member" hidden; `show=all`: every unmatched
    booking, newest first; `show=hidden`: the bookings of the clients marked "not a
    member", newest first."""
    chosen = show if show in SHOWS else ""
    words = request.app.state.console_words
    today = container.clock.now().astimezone(words.zone).date()
    upcoming = chosen == ""
    todo = await container.unmatched_todo(
        PAGE, offset,
        statuses=frozenset(BookingStatus) - REVERSING_STATUSES if upcoming else None,
        starts_from=day_window(today)[0] if upcoming else None,
        hidden=chosen == "hidden",
    )  # fmt: skip
    return page(
        request, "unmatched.html", page_=todo.bookings, suggestions=todo.suggestions,
        clients=todo.clients, show=chosen, query=SHOWS.get(chosen, LIST),
    )  # fmt: skip


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
    back: str = LIST


@post("/bookings/{booking_id:int}/link", status_code=200, media_type=HTML)
async def link(
    request: Request[Any, Any, Any],
    container: UseCases,
    booking_id: Id,
    data: Annotated[LinkForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    """Link the booking. From the list (HTMX) its card becomes a "linked to … — undo" row
    and the list stays; a plain form goes to the member's page."""
    words = request.app.state.console_words
    if not 0 < data.user_id <= MAX_ID:
        return done(request, f"{words('could_not')}: user_id: no such member", LIST, False)

    async def link_it() -> dict[str, Any]:
        booking = await container.link_booking(
            booking_id, data.user_id, admin_id=signed_in_admin(request).id
        )
        member = (await container.profile(data.user_id)).user
        return {
            "text": words("linked", booking=booking.record_id, member=f"#{data.user_id}"),
            "record_id": booking.record_id,
            "member": member.name or member.email,
        }

    refuse_to(request, _back(data.back))
    answer = await once(request, container, data.once, data, link_it)
    if _htmx(request):
        return _linked_row(booking_id, data, answer, None)
    return done(request, answer["text"], f"/admin/members/{data.user_id}")


def _linked_row(
    booking_id: int, data: LinkForm | UndoForm, answer: dict[str, Any], error: str | None
) -> Template:
    return fragment(
        "_linked_row.html", booking_id=booking_id, user_id=data.user_id, error=error,
        record_id=answer["record_id"], member=answer["member"], back=_back(data.back),
    )  # fmt: skip


@dataclass
class UndoForm:
    user_id: int
    once: str = ""
    back: str = LIST
    record_id: int = 0  # what the row says, should the undo be refused
    member: str = ""


UNDO_REFUSALS = {"settled": "undo_settled", "held": "undo_held", "moved": "undo_moved"}


@post("/bookings/{booking_id:int}/undo", status_code=200, media_type=HTML)
async def undo_link(
    request: Request[Any, Any, Any],
    container: UseCases,
    booking_id: Id,
    data: Annotated[UndoForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    """Undo a link made from the list: the booking's card is back (HTMX) or the list is
    shown again; refused, in staff's words, once something was settled on it."""
    words = request.app.state.console_words
    back = _back(data.back)
    if not 0 < data.user_id <= MAX_ID:
        return done(request, f"{words('could_not')}: user_id: no such member", back, False)

    async def undo_it() -> dict[str, Any]:
        booking = await container.undo_link(booking_id, data.user_id)
        return {"text": words("unlinked", booking=booking.record_id)}

    refuse_to(request, back)
    try:
        answer = await once(request, container, data.once, data, undo_it)
    except UndoRefused as exc:
        said = words(UNDO_REFUSALS.get(exc.why, "could_not"))
        if _htmx(request):
            shown = {"record_id": data.record_id, "member": data.member or f"#{data.user_id}"}
            return _linked_row(booking_id, data, shown, said)
        return done(request, said, back, ok=False)
    if not _htmx(request):
        return done(request, answer["text"], back)
    card = await container.unmatched_todo.one(booking_id)
    return fragment(
        "_unmatched_card.html", b=card.bookings.items[0], found=card.suggestions[booking_id],
        client=card.clients[booking_id], hidden=False, back=back,
        note={"ok": True, "text": answer["text"]},
    )  # fmt: skip


@dataclass
class ClientForm:
    once: str = ""
    back: str = LIST


@post("/unmatched/{booking_id:int}/dismiss", status_code=200, media_type=HTML)
async def dismiss(
    request: Request[Any, Any, Any],
    container: UseCases,
    booking_id: Id,
    data: Annotated[ClientForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    """Mark the booking's client "not a member": all their unmatched bookings leave the
    list (remembered; the "hidden" filter puts them back). The list is shown again."""
    words = request.app.state.console_words

    async def dismiss_it() -> dict[str, Any]:
        await container.dismiss_client(booking_id, signed_in_admin(request).id)
        return {"text": words("dismissed")}

    return await _client_action(request, container, data, dismiss_it)


@post("/unmatched/{booking_id:int}/restore", status_code=200, media_type=HTML)
async def restore(
    request: Request[Any, Any, Any],
    container: UseCases,
    booking_id: Id,
    data: Annotated[ClientForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    """Undo "not a member": the client's bookings are back on the list."""
    words = request.app.state.console_words

    async def restore_it() -> dict[str, Any]:
        await container.restore_client(booking_id)
        return {"text": words("restored")}

    return await _client_action(request, container, data, restore_it)


async def _client_action(
    request: Request[Any, Any, Any],
    container: UseCases,
    data: ClientForm,
    run: Callable[[], Awaitable[dict[str, Any]]],
) -> Any:
    words = request.app.state.console_words
    back = _back(data.back)
    try:
        answer = await once(request, container, data.once, data, run)
    except AppError as exc:
        said = (
            words("no_contact_to_hide")
            if "no client phone or email" in str(exc)
            else f"{words('could_not')}: {exc}"
        )
        return done(request, said, back, ok=False)
    return done(request, answer["text"], back)


UNMATCHED_HANDLERS = [unmatched, candidates, link, undo_link, dismiss, restore]
