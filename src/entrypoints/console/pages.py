"""Console pages and actions. Each handler calls use cases from the container and renders a
template; what to show is decided by the use cases, how to show it by the templates."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from litestar import Request, get, post
from litestar.enums import MediaType, RequestEncodingType
from litestar.exceptions import TooManyRequestsException
from litestar.params import Body, PathParameter, QueryParameter
from litestar.plugins.htmx import ClientRedirect, HTMXRequest
from litestar.response import Redirect, Template

from src.application.errors import AppError, InvalidCredentials
from src.application.ports.paging import Page
from src.application.use_cases.once import fingerprint
from src.application.use_cases.today import day_window
from src.domain.booking import BookingStatus
from src.domain.inbox import EventState
from src.domain.loyalty import REVERSING_STATUSES, level_for
from src.domain.money import AmountError, parse_amount
from src.domain.redemption import RedemptionState, is_open_visit, redemption_cap
from src.domain.sync_run import RunStatus
from src.domain.user import Role
from src.entrypoints.console.auth import PUBLIC, session_for, signed_in_admin
from src.entrypoints.console.errors import field_error
from src.entrypoints.console.sessions import start_session
from src.entrypoints.console.staff_rules import staff_rules
from src.entrypoints.http.dependencies import UseCases
from src.entrypoints.http.schemas.common import MAX_ID
from src.entrypoints.http.throttle import LoginThrottle

PAGE = 20
MAX_OFFSET = 2**31 - 1
Offset = Annotated[int, QueryParameter(ge=0, le=MAX_OFFSET)]
Query = Annotated[str | None, QueryParameter(max_length=100)]
Id = Annotated[int, PathParameter(ge=1, le=MAX_ID)]
FLASH = "flash"
FORM_ERROR = "form_error"  # a refused form: which, the field, what to say, what was typed
HTML = MediaType.HTML  # handlers that answer a page or a redirect (`-> Any`) say so

# The navigation, in order: (endpoint path, label key). A new page is one line here.
NAV = [
    ("/admin", "today"),
    ("/admin/checkout", "checkout"),
    ("/admin/unmatched", "unmatched"),
    ("/admin/members", "members"),
    ("/admin/webhooks", "webhooks"),
    ("/admin/salons", "salons"),
    ("/admin/settings", "settings"),
    ("/admin/overview", "overview"),  # the owner's: sync runs, webhook counts, switches
]


def page(request: Request[Any, Any, Any], template: str, **context: Any) -> Template:
    """A full page (or, for an HTMX request, the same template: it extends the layout only
    when asked for a full page)."""
    flash = request.session.pop(FLASH, None) if request.session else None
    form_error = request.session.pop(FORM_ERROR, None) if request.session else None
    return Template(
        template,
        context={
            "nav": NAV,
            "path": request.url.path,
            "admin": getattr(request.state, "admin", None),
            "flash": flash,
            "form_error": form_error,
            **context,
        },
    )


def done(request: Request[Any, Any, Any], message: str, to: str, ok: bool = True) -> Any:
    """After an action: remember what happened and show `to` (HTMX follows a client redirect)."""
    request.session[FLASH] = {"ok": ok, "text": message}
    if isinstance(request, HTMXRequest) and request.htmx:
        return ClientRedirect(to)
    return Redirect(to)


def refused(
    request: Request[Any, Any, Any], to: str, form: str, message: str, typed: dict[str, str]
) -> Any:
    """After a refused form: back to `to`, the reason next to its field in the console's
    language and what was typed still in the fields."""
    field, text = field_error(request.app.state.console_words, message)
    request.session[FORM_ERROR] = {
        "form": form, "field": field or "", "text": text,
        "typed": {name: value[:500] for name, value in typed.items()},
    }  # fmt: skip
    if isinstance(request, HTMXRequest) and request.htmx:
        return ClientRedirect(to)
    return Redirect(to)


def fragment(template: str, **context: Any) -> Template:
    return Template(template, context=context)


async def once(
    request: Request[Any, Any, Any],
    container: UseCases,
    key: str,
    form: object,
    run: Callable[[], Awaitable[dict[str, Any]]],
) -> dict[str, Any]:
    """Run a console action at most once per admin and one-time key (the form's hidden
    `once` field, new on every page): a double-click, a resubmitted form or a replayed
    request gets the first answer again. `run` answers a JSON-able dict."""

    async def go() -> str:
        return json.dumps(await run())

    action = f"console {request.method} {request.url.path}"
    text = await container.run_once(
        signed_in_admin(request).id, key, action, fingerprint(action, repr(form)), go
    )
    return json.loads(text)  # type: ignore[no-any-return]


# -- sign-in --------------------------------------------------------------------------------


@dataclass
class LoginForm:
    email: str = ""
    password: str = ""
    next: str = ""


def _safe_next(target: str) -> str:
    """Only a console path: never an open redirect to another site."""
    if target.startswith("/admin") and not target.startswith("//"):
        return target
    return "/admin"


def login_handlers(throttle: LoginThrottle) -> list[Any]:
    @get("/login", opt={PUBLIC: True}, name="console_login_form")
    async def login_form(
        request: Request[Any, Any, Any],
        next_: Annotated[str, QueryParameter(name="next", max_length=200)] = "",
    ) -> Template:
        return page(request, "login.html", next=_safe_next(next_), error=None, email="")

    @post("/login", opt={PUBLIC: True}, status_code=200, name="console_login", media_type=HTML)
    async def login(
        request: Request[Any, Any, Any],
        container: UseCases,
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Any:
        words = request.app.state.console_words
        target = _safe_next(data.next)
        error, status = None, 200
        try:
            client = request.client.host if request.client else "unknown"
            user = await throttle.attempt(
                container.attempts,
                container.login_streaks,
                client,
                data.email,
                lambda: container.authenticate(data.email[:254], data.password[:128]),
            )
        except TooManyRequestsException:
            error, status = words("too_many"), 429
        except InvalidCredentials:
            error, status = words("wrong_credentials"), 401
        else:
            if user.role is not Role.ADMIN:
                error, status = words("not_admin"), 403
            else:
                # A new random session id (the one the browser sent is dropped: no fixation),
                # bound to the password stamp and the time of sign-in.
                start_session(request, session_for(user, container.clock.now()))
                return Redirect(target)
        return Template(
            "login.html",
            context={"next": target, "error": error, "email": data.email, "nav": NAV},
            status_code=status,
        )

    return [login_form, login]


@post("/logout", status_code=200)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    request.clear_session()
    return Redirect("/admin/login")


# -- overview and sync ----------------------------------------------------------------------


async def _overview(container: UseCases) -> dict[str, Any]:
    companies = []
    for cid in container.settings.YCLIENTS_COMPANY_IDS:
        runs = await container.sync_runs.page(cid, 5, 0)
        companies.append({"id": cid, "runs": runs.items})
    inbox = {}
    for state in EventState:
        inbox[state] = (await container.webhook_events.page(state, 1, 0)).total
    latest = (await container.webhook_events.page(None, 1, 0)).items
    return {
        "companies": companies,
        "inbox": inbox,
        "last_webhook": latest[0].received_at if latest else None,
        "switches": container.switches,
    }


@get("/overview")
async def overview(request: Request[Any, Any, Any], container: UseCases) -> Template:
    return page(request, "overview.html", **await _overview(container))


@dataclass
class OnceForm:
    once: str = ""


@post("/sync", status_code=200)
async def sync_now(
    request: Request[Any, Any, Any],
    container: UseCases,
    data: Annotated[OnceForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Template:
    async def start() -> dict[str, Any]:
        return {"ids": [r.id for r in await container.request_sync(trigger="manual")]}

    started = await once(request, container, data.once, data, start)  # refused: error_page
    runs = [r for r in [await container.sync_runs.get(i) for i in started["ids"]] if r]
    ids = ",".join(str(r.id) for r in runs)
    running = any(r.status in (RunStatus.QUEUED, RunStatus.RUNNING) for r in runs)
    return fragment(
        "_sync_progress.html", runs=runs, error=None, ids=ids, running=running, fresh_button=True
    )


@get("/sync-runs")
async def sync_progress(
    container: UseCases, ids: Annotated[str, QueryParameter(max_length=200)]
) -> Template:
    wanted = [int(i) for i in ids.split(",") if i.isdigit() and 0 < int(i) <= MAX_ID][:20]
    runs = [r for r in [await container.sync_runs.get(i) for i in wanted] if r]
    running = any(r.status in (RunStatus.QUEUED, RunStatus.RUNNING) for r in runs)
    return fragment(
        "_sync_progress.html", runs=runs, error=None, ids=ids, running=running, fresh_button=True
    )


# -- unmatched bookings ---------------------------------------------------------------------


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

    try:
        answer = await once(request, container, data.once, data, link_it)
    except AppError as exc:
        return done(request, f"{words('could_not')}: {exc}", "/admin/unmatched", ok=False)
    return done(request, answer["text"], f"/admin/members/{data.user_id}")


# -- webhook events -------------------------------------------------------------------------


def pretty_body(body: bytes) -> str:
    """The stored body, indented when it is JSON, as received otherwise."""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body.decode("utf-8", "replace")


@get("/webhooks")
async def webhooks(
    request: Request[Any, Any, Any],
    container: UseCases,
    state_: Annotated[str | None, QueryParameter(name="state", max_length=16)] = None,
    offset: Offset = 0,
) -> Template:
    chosen = next((s for s in EventState if s.value == (state_ or "").upper()), None)
    events = await container.webhook_events.page(chosen, PAGE, offset)
    return page(
        request, "webhooks.html", page_=events, state=chosen.value if chosen else "",
        states=list(EventState), pretty_body=pretty_body,
    )  # fmt: skip


@post("/webhooks/{event_id:int}/replay", status_code=200, media_type=HTML)
async def replay(
    request: Request[Any, Any, Any],
    container: UseCases,
    event_id: Id,
    state_: Annotated[str | None, QueryParameter(name="state", max_length=16)] = None,
) -> Any:
    words = request.app.state.console_words
    # Back to the list as it was filtered (the state the staff were looking at).
    chosen = next((s for s in EventState if s.value == (state_ or "").upper()), None)
    to = f"/admin/webhooks?state={chosen.value}" if chosen else "/admin/webhooks"
    try:
        await container.replay_webhook(event_id)
    except AppError as exc:
        return done(request, f"{words('could_not')}: {exc}", to, ok=False)
    return done(request, words("replayed", event=event_id), to)


# -- members --------------------------------------------------------------------------------


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
        profile = await container.profile(user_id)
    except AppError:
        return done(request, request.app.state.console_words("not_found"), "/admin/members", False)
    loyalty = await container.loyalty(user_id)
    bookings = await container.list_bookings(user_id, limit=PAGE, offset=bookings_offset)
    ledger = await container.transactions(user_id, PAGE, ledger_offset)
    held = await container.points_held([b.id for b in bookings.items if b.id is not None])
    ledger_context = await container.ledger_context(ledger.items, user_id, ledger_offset)
    rules, now = container.redeem_points.rules, container.clock.now()
    return page(
        request, "member.html", profile=profile, loyalty=loyalty, bookings=bookings,
        ledger=ledger, held=held, holds=await _held_redemptions(container, user_id),
        ledger_context=ledger_context, open_visit=lambda b: is_open_visit(b, now, rules),
        cap=lambda b: redemption_cap(b.price, rules.max_percent),
        rules_percent=f"{rules.max_percent.normalize():f}",
    )  # fmt: skip


async def _held_redemptions(container: UseCases, user_id: int) -> dict[int, int]:
    """booking id → its HELD redemption's id (for the capture button), newest 100."""
    page_ = await container.list_redemptions(user_id, 100, 0)
    return {
        r.booking_id: r.id
        for r in page_.items
        if r.state is RedemptionState.HELD and r.booking_id is not None and r.id is not None
    }


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

    try:
        answer = await once(request, container, data.once, data, adjust_it)
    except AppError as exc:
        return refused(request, to, "adjust", str(exc), typed)
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

    try:
        answer = await once(request, container, data.once, data, redeem_it)
    except AppError as exc:
        return refused(request, to, "redeem", str(exc), typed)
    return done(request, answer["text"], to)


# -- checkout -------------------------------------------------------------------------------


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
    to = _safe_next(data.back) if data.back else "/admin/checkout"
    try:
        r = await container.capture_hold(redemption_id, signed_in_admin(request).id)
    except AppError as exc:
        return done(request, f"{words('could_not')}: {exc}", to, ok=False)
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
    lines = sorted(
        await container.checkout_list(state, day), key=lambda line: line.booking.appointment_at
    )
    # Captured visits completed at their full price: flagged whatever list is shown.
    flagged = [
        line for line in await container.checkout_list(RedemptionState.CAPTURED, day)
        if line.discount_missing
    ]  # fmt: skip
    shown = day or container.clock.now().astimezone(words.zone).date()
    query = f"/admin/checkout?date={shown.isoformat()}&state={state.value}"
    shown_lines = Page(lines[offset : offset + PAGE], len(lines), PAGE, offset)
    return page(
        request, "checkout.html", lines=shown_lines,
        total_points=sum((line.redemption.points for line in lines), Decimal(0)),
        day=shown, state=state.value, states=list(RedemptionState), query=query,
        flagged=flagged, back=f"{query}&offset={offset}", refresh=30,
        is_today=shown == container.clock.now().astimezone(words.zone).date(),
    )  # fmt: skip


# -- settings -------------------------------------------------------------------------------


def mask(secret: str) -> str:
    """Enough to recognise it, not enough to use it."""
    return secret[:2] + "•" * 8 + secret[-2:] if len(secret) > 8 else "•" * 8


@get("/settings")
async def settings_page(request: Request[Any, Any, Any], container: UseCases) -> Template:
    settings = container.settings
    base = str(request.base_url).rstrip("/") + "/api/v1/yclients/webhook?secret="
    return page(
        request, "settings.html", levels=settings.LOYALTY_LEVELS, switches=container.switches,
        rules=staff_rules(request.app.state.console_words, settings),
        webhook_url=base + quote(settings.YCLIENTS_WEBHOOK_SECRET, safe=""),
        webhook_url_masked=base + mask(settings.YCLIENTS_WEBHOOK_SECRET),
    )  # fmt: skip


HANDLERS = [
    logout, overview, sync_now, sync_progress, unmatched, candidates, link, webhooks, replay,
    members, member, adjust, redeem, capture, checkout, settings_page,
]  # fmt: skip
