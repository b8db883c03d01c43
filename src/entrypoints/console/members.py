"""Members: the client list, a member's card, adjusting and redeeming their points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Template

from src.application.errors import AppError
from src.domain.loyalty import level_for
from src.domain.money import AmountError, parse_amount
from src.entrypoints.console.auth import signed_in_admin
from src.entrypoints.console.refusals import refuse_to
from src.entrypoints.console.render import HTML, PAGE, Id, Offset, Query, done, once, page, refused
from src.entrypoints.web.dependencies import UseCases
from src.entrypoints.web.params import MAX_ID


@get("/members")
async def members(
    request: Request[Any, Any, Any], container: UseCases, q: Query = None, offset: Offset = 0
) -> Template:
    """Clients (staff accounts left out), with their level and last visit."""
    error = None
    try:
        found = await container.search_members(q, PAGE, offset, clients_only=True)
    except AppError as exc:
        found, error = None, str(exc)
    levels = container.settings.LOYALTY_LEVELS
    return page(
        request, "members.html", page_=found, q=q or "", error=error,
        level_of=lambda spend: level_for(spend, levels).name,
    )  # fmt: skip


@get("/members/{user_id:int}", media_type=HTML)
async def member(
    request: Request[Any, Any, Any],
    container: UseCases,
    user_id: Id,
    bookings_offset: Offset = 0,
    ledger_offset: Offset = 0,
) -> Any:
    try:
        card = await container.member_card(user_id, bookings_offset, ledger_offset, PAGE)
    except AppError:
        return done(request, request.app.state.console_words("not_found"), "/admin/members", False)
    return page(
        request, "member.html", profile=card.profile, loyalty=card.loyalty,
        bookings=card.bookings, ledger=card.ledger, held=card.held, holds=card.holds,
        ledger_context=card.ledger_context, open_visit=card.open_visit, cap=card.cap,
        rules_percent=f"{card.max_percent.normalize():f}",
    )  # fmt: skip


@dataclass
class AdjustForm:
    amount: str = ""
    reason: str = ""
    once: str = ""


@post("/members/{user_id:int}/points", status_code=200, media_type=HTML)
async def adjust(
    request: Request[Any, Any, Any],
    container: UseCases,
    user_id: Id,
    data: Annotated[AdjustForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    words = request.app.state.console_words
    to = f"/admin/members/{user_id}"
    typed = {"amount": data.amount, "reason": data.reason}
    try:
        amount = parse_amount(data.amount)
    except AmountError as exc:
        return refused(request, to, "adjust", f"amount: not a number: {exc}", typed)

    async def adjust_it() -> dict[str, Any]:
        entry = await container.adjust_points(
            user_id, amount, data.reason[:500], signed_in_admin(request).id
        )
        return {"text": words("adjusted", amount=words.money(entry.amount))}

    refuse_to(request, to, "adjust", typed)
    answer = await once(request, container, data.once, data, adjust_it)
    return done(request, answer["text"], to)


@dataclass
class RedeemForm:
    points: str = ""
    reason: str = ""
    booking_id: str = ""  # empty: not for a particular visit
    once: str = ""


@post("/members/{user_id:int}/redemptions", status_code=200, media_type=HTML)
async def redeem(
    request: Request[Any, Any, Any],
    container: UseCases,
    user_id: Id,
    data: Annotated[RedeemForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Any:
    """Spend a member's points at checkout (RedeemPoints: at most the balance)."""
    words = request.app.state.console_words
    to = f"/admin/members/{user_id}"
    typed = {"points": data.points, "reason": data.reason, "booking_id": data.booking_id}
    try:
        points = parse_amount(data.points)
    except AmountError as exc:
        return refused(request, to, "redeem", f"points: not a number: {exc}", typed)
    booking_id = None
    if data.booking_id.strip():
        booking = data.booking_id.strip()
        if not booking.isdigit() or not 0 < int(booking) <= MAX_ID:
            return refused(request, to, "redeem", "booking_id: no such booking", typed)
        booking_id = int(booking)

    async def redeem_it() -> dict[str, Any]:
        redemption = await container.redeem_points(
            user_id, points, data.reason[:500], signed_in_admin(request).id, booking_id=booking_id
        )
        return {"text": words("redeemed", points=words.money(redemption.points))}

    refuse_to(request, to, "redeem", typed)
    answer = await once(request, container, data.once, data, redeem_it)
    return done(request, answer["text"], to)
