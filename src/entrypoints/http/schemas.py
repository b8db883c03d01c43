"""Request and response bodies of the HTTP API (msgspec Structs), and their mapping from
domain objects.

Decimal values travel as JSON strings ("12.50") and times as ISO 8601 in UTC, as the mobile
clients expect; the shapes are the ones README.md documents: extend them, never rename.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from msgspec import Meta, Struct

from src.application.inbox.accept import Accepted
from src.application.ports import MemberSummary, Page
from src.application.use_cases.codes import BookingForm
from src.application.use_cases.expire_points import Expiring
from src.application.use_cases.loyalty import LoyaltyView
from src.application.use_cases.redemptions import CheckoutLine
from src.application.use_cases.users import MIN_PASSWORD_LENGTH, Profile
from src.domain.booking import Booking
from src.domain.inbox import WebhookEvent
from src.domain.loyalty import LedgerEntry, LoyaltyLevel
from src.domain.money import quantize
from src.domain.quarantine import QuarantinedRecord
from src.domain.redemption import Redemption
from src.domain.sync_run import SyncRun
from src.domain.user import User

T = TypeVar("T")

# Ids fit a PostgreSQL bigint and a JSON number without loss (2**53 - 1, also exact as the
# float OpenAPI bounds are written with): anything larger is refused before the database.
MAX_ID = 2**53 - 1
Id = Annotated[int, Meta(ge=1, le=MAX_ID)]
Money = Annotated[
    str,
    Meta(
        description="Decimal as a string, two places", examples=["12.50"], pattern=r"^-?\d+\.\d{2}$"
    ),
]
SignedAmount = Annotated[
    str,
    Meta(
        description="Decimal as a string, at most two places; negative removes points",
        examples=["150.00", "-20"],
        pattern=r"^[+-]?\d{1,9}(\.\d{1,2})?$",
    ),
]


def money(value: Decimal) -> str:
    """A Decimal as the API writes it: a string with two places."""
    return str(quantize(value))


# PostgreSQL text cannot hold NUL characters: refused here rather than failing in the database.
NO_NUL = r"^[^\x00]*$"


# -- errors ---------------------------------------------------------------------------------


class ErrorDetail(Struct, omit_defaults=True):
    """One thing wrong with the request: the field (or dependency) and why."""

    message: str
    name: str | None = None
    source: str | None = None  # body | query | path | header | dependency


class ErrorInfo(Struct, omit_defaults=True):
    code: str
    message: str
    status: int
    details: list[ErrorDetail] | None = None


class ErrorBody(Struct):
    """The one shape of every 4xx/5xx answer."""

    error: ErrorInfo


# -- lists ----------------------------------------------------------------------------------


class PageOut(Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def page_of(page: Page[Any], items: list[T]) -> PageOut[T]:
    return PageOut(items=items, total=page.total, limit=page.limit, offset=page.offset)


# -- users ----------------------------------------------------------------------------------


Email = Annotated[
    str,
    Meta(
        max_length=254, pattern=r"^\s*[^@\s\x00]+@[^@\s\x00]+\s*$", examples=["maria@example.com"]
    ),
]


class RegisterIn(Struct):
    email: Email
    password: Annotated[str, Meta(min_length=MIN_PASSWORD_LENGTH, max_length=128, pattern=NO_NUL)]
    # The limits are the columns' (users.phone varchar(32), users.name varchar(255)).
    phone: (
        Annotated[str, Meta(max_length=32, pattern=NO_NUL, examples=["+7 916 123-45-67"])] | None
    ) = None
    name: Annotated[str, Meta(max_length=255, pattern=NO_NUL)] | None = None


class LoginIn(Struct):
    email: Annotated[str, Meta(max_length=254, pattern=NO_NUL)]  # a wrong one is just a 401
    password: Annotated[str, Meta(max_length=128, pattern=NO_NUL)]


class PasswordChangeIn(Struct):
    current_password: Annotated[str, Meta(max_length=128, pattern=NO_NUL)]
    new_password: Annotated[str, Meta(min_length=8, max_length=128, pattern=NO_NUL)]


CODE_PATTERN = r"^\s*[0-9]{6}\s*$"


class CodeIn(Struct):
    code: Annotated[str, Meta(max_length=16, pattern=CODE_PATTERN, examples=["042917"])]


class PhoneIn(Struct):
    phone: Annotated[str, Meta(max_length=32, pattern=NO_NUL, examples=["+7 916 123-45-67"])]


class PasswordResetRequestIn(Struct):
    email: Annotated[str, Meta(max_length=254, pattern=NO_NUL)]  # unknown ones answer the same


class PasswordResetConfirmIn(Struct):
    email: Annotated[str, Meta(max_length=254, pattern=NO_NUL)]
    code: Annotated[str, Meta(max_length=16, pattern=NO_NUL)]  # a malformed one: the same 400
    new_password: Annotated[str, Meta(min_length=8, max_length=128, pattern=NO_NUL)]


class AcceptedOut(Struct):
    status: Literal["accepted"]
    message: str


class CodeSentOut(Struct):
    status: Literal["code_sent"]
    channel: Literal["email", "sms"]


class VerifiedOut(Struct):
    email_verified: bool
    phone_verified: bool
    bookings_linked: int  # unmatched bookings with this contact, now the caller's


class TokenOut(Struct):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int  # seconds


class LevelOut(Struct):
    name: str
    cashback_percent: Money
    min_spend: Money


def level_out(level: LoyaltyLevel) -> LevelOut:
    return LevelOut(level.name, money(level.cashback_percent), money(level.min_spend))


class UserOut(Struct, kw_only=True):
    id: int
    email: str
    phone: str | None
    name: str | None
    unique_code: str | None  # null until the booking form is first requested
    role: Literal["user", "admin"]
    created_at: datetime | None


def _user_fields(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "email": user.email,
        "phone": user.phone,
        "name": user.name,
        "unique_code": user.unique_code,
        "role": user.role.value,
        "created_at": user.created_at,
    }


def user_out(user: User) -> UserOut:
    return UserOut(**_user_fields(user))  # type: ignore[arg-type]


class MeOut(UserOut, kw_only=True):
    level: LevelOut
    balance: Money
    email_verified: bool  # only verified contacts link bookings (CONTACT_VERIFICATION)
    phone_verified: bool
    # false with SMS_PROVIDER=none: the salon sends no SMS, so a phone is kept but never
    # verified and links no bookings (the email and the client code still do)
    phone_verifiable: bool = True


def me_out(profile: Profile, phone_verifiable: bool = True) -> MeOut:
    return MeOut(
        **_user_fields(profile.user),  # type: ignore[arg-type]
        level=level_out(profile.level),
        balance=money(profile.account.balance),
        email_verified=profile.user.email_verified_at is not None,
        phone_verified=profile.user.phone_verified_at is not None,
        phone_verifiable=phone_verifiable,
    )


class MemberOut(Struct, kw_only=True):
    """A member in the admin search."""

    id: int
    email: str
    phone: str | None
    name: str | None
    code: str | None
    role: Literal["user", "admin"]
    balance: Money


def member_out(member: MemberSummary) -> MemberOut:
    u = member.user
    return MemberOut(
        id=u.id,
        email=u.email,
        phone=u.phone,
        name=u.name,
        code=u.unique_code,
        role=u.role.value,  # type: ignore[arg-type]
        balance=money(member.balance),
    )


class RoleIn(Struct):
    role: Literal["user", "admin"]


# -- bookings -------------------------------------------------------------------------------


class BookingFormOut(Struct):
    unique_code: str
    comment: str  # exactly "Код клиента: XXXXXXXX"
    widget_url: str | None


def booking_form_out(form: BookingForm) -> BookingFormOut:
    return BookingFormOut(form.unique_code, form.comment, form.widget_url)


class ServiceOut(Struct):
    title: str
    cost: Money


BookingStatusName = Literal["PENDING", "CONFIRMED", "COMPLETED", "CANCELLED", "NO_SHOW"]
MatchMethodName = Literal["code", "email", "phone", "manual"]


class BookingOut(Struct, kw_only=True):
    id: int
    company_id: int
    yclients_record_id: int
    status: BookingStatusName
    appointment_datetime: datetime
    price: Money
    services: list[ServiceOut]
    staff_name: str | None
    match_method: MatchMethodName | None
    loyalty_bonuses_awarded: bool
    bonus_points: Money
    bonus_percent: Money | None
    deleted: bool
    created_at: datetime | None
    updated_at: datetime | None
    points_held: Money = "0.00"  # points a HELD redemption sets aside for this visit


def _booking_fields(b: Booking) -> dict[str, object]:
    return {
        "id": b.id,
        "company_id": b.company_id,
        "yclients_record_id": b.record_id,
        "status": b.status.value,
        "appointment_datetime": b.local_appointment_at,
        "price": money(b.price),
        "services": [ServiceOut(title, money(cost)) for title, cost in b.services],
        "staff_name": b.staff_name,
        "match_method": b.match_method.value if b.match_method else None,
        "loyalty_bonuses_awarded": b.loyalty_bonuses_awarded,
        "bonus_points": money(b.bonus_points),
        "bonus_percent": money(b.bonus_percent) if b.bonus_percent is not None else None,
        "deleted": b.deleted,
        "created_at": b.created_at,
        "updated_at": b.updated_at,
    }


def booking_out(b: Booking, points_held: Decimal | None = None) -> BookingOut:
    out = BookingOut(**_booking_fields(b))  # type: ignore[arg-type]
    if points_held is not None:
        out.points_held = money(points_held)
    return out


class AdminBookingOut(BookingOut, kw_only=True):
    """What an admin needs to link a booking by hand: who the client is, and why no
    member matched."""

    user_id: int | None
    unmatched_reason: str | None
    client_name: str | None
    client_phone: str | None
    client_email: str | None
    comment: str


def admin_booking_out(b: Booking) -> AdminBookingOut:
    return AdminBookingOut(
        **_booking_fields(b),  # type: ignore[arg-type]
        user_id=b.user_id,
        unmatched_reason=b.unmatched_reason,
        client_name=b.client_name,
        client_phone=b.client_phone,
        client_email=b.client_email,
        comment=b.comment,
    )


class LinkIn(Struct):
    user_id: Id


# -- loyalty --------------------------------------------------------------------------------


class ExpiringOut(Struct):
    points: Money
    expires_at: datetime


class LoyaltyOut(Struct):
    balance: Money
    level: LevelOut
    next_level: LevelOut | None
    spend_to_next_level: Money | None
    completed_spend: Money
    expiring_soon: list[ExpiringOut]  # points expiring in the next 30 days, soonest first


def loyalty_out(view: LoyaltyView, expiring: Sequence[Expiring] = ()) -> LoyaltyOut:
    return LoyaltyOut(
        balance=money(view.account.balance),
        level=level_out(view.level),
        next_level=level_out(view.next_level) if view.next_level else None,
        spend_to_next_level=(
            money(view.spend_to_next_level) if view.spend_to_next_level is not None else None
        ),
        completed_spend=money(view.account.completed_spend),
        expiring_soon=[ExpiringOut(money(e.points), e.expires_at) for e in expiring],
    )


class TransactionOut(Struct):
    id: int | None
    kind: Literal["ACCRUAL", "REVERSAL", "ADJUSTMENT", "HOLD", "RELEASE", "REDEMPTION", "EXPIRY"]
    amount: Money
    percent: Money | None
    reason: str
    booking_id: int | None
    created_at: datetime


def transaction_out(e: LedgerEntry) -> TransactionOut:
    return TransactionOut(
        id=e.id,
        kind=e.kind.value,  # type: ignore[arg-type]
        amount=money(e.amount),
        percent=money(e.percent) if e.percent is not None else None,
        reason=e.reason,
        booking_id=e.booking_id,
        created_at=e.created_at,
    )


class AdjustmentIn(Struct):
    amount: SignedAmount
    reason: Annotated[str, Meta(max_length=500, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$")]


class AdjustmentOut(TransactionOut):
    user_id: int
    actor_id: int | None


def adjustment_out(e: LedgerEntry) -> AdjustmentOut:
    base = transaction_out(e)
    return AdjustmentOut(
        **{f: getattr(base, f) for f in base.__struct_fields__},
        user_id=e.user_id,
        actor_id=e.actor_id,
    )


# -- YClients -------------------------------------------------------------------------------


class WebhookAck(Struct):
    # held: stored, not processed: its salon is paused or unknown (processed on resume / add)
    status: Literal["accepted", "duplicate", "ignored", "held"]
    event_id: int


def webhook_ack(accepted: Accepted) -> WebhookAck:
    return WebhookAck(accepted.status, accepted.event_id)


RunStatusName = Literal["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "SKIPPED"]


class RunStarted(Struct):
    """One company's run as the 202 answer reports it."""

    run_id: int
    company_id: int
    status: RunStatusName


class SyncStarted(Struct):
    """202: the first company's run at the top (the seed's shape), every company's in `runs`."""

    run_id: int
    status: RunStatusName
    runs: list[RunStarted]


class SyncRunOut(Struct, kw_only=True):
    run_id: int
    company_id: int
    trigger: str
    status: RunStatusName
    fetched: int
    created: int
    updated: int
    unchanged: int
    linked: int
    unmatched: int
    points_awarded: Money
    errors: int
    error: str | None
    started_at: datetime
    finished_at: datetime | None
    kind: str = "full"  # full: the whole window; incremental: changes since the last run
    requests: int = 0  # YClients pages read


def sync_run_out(run: SyncRun) -> SyncRunOut:
    c = run.counts
    assert run.id is not None
    return SyncRunOut(
        run_id=run.id,
        company_id=run.company_id,
        trigger=run.trigger,
        status=run.status.value,  # type: ignore[arg-type]
        fetched=c.fetched,
        created=c.created,
        updated=c.updated,
        unchanged=c.unchanged,
        linked=c.linked,
        unmatched=c.unmatched,
        points_awarded=money(c.points_awarded),
        errors=c.errors,
        error=run.error,
        started_at=run.started_at,
        finished_at=run.finished_at,
        kind=str(run.kind),
        requests=c.requests,
    )


class SyncFinished(SyncRunOut, kw_only=True):
    """`?wait=true`: the first company's finished run at the top, every company's in `runs`."""

    runs: list[SyncRunOut]


class WebhookEventOut(Struct):
    id: int
    company_id: int
    resource: str
    resource_id: int
    event_status: str
    state: Literal["PENDING", "PROCESSED", "IGNORED", "DEAD", "HELD"]
    attempts: int
    last_error: str | None
    received_at: datetime
    processed_at: datetime | None


def webhook_event_out(e: WebhookEvent) -> WebhookEventOut:
    assert e.id is not None
    return WebhookEventOut(
        id=e.id,
        company_id=e.company_id,
        resource=e.resource,
        resource_id=e.resource_id,
        event_status=e.event_status,
        state=e.state.value,  # type: ignore[arg-type]
        attempts=e.attempts,
        last_error=e.last_error,
        received_at=e.received_at,
        processed_at=e.processed_at,
    )


# -- redemptions (spending points) ----------------------------------------------------------

PositivePoints = Annotated[
    str,
    Meta(
        description="Points as a decimal string, at most two places, above zero",
        examples=["150.00", "20"],
        pattern=r"^\+?\d{1,9}(\.\d{1,2})?$",
    ),
]
RedemptionStateName = Literal["HELD", "CAPTURED", "RELEASED", "REDEEMED", "REVERSED"]


class RedemptionIn(Struct):
    booking_id: Id
    points: PositivePoints


class StaffRedemptionIn(Struct):
    points: PositivePoints
    reason: Annotated[str, Meta(max_length=500, pattern=r"^[^\x00]*[^\s\x00][^\x00]*$")]
    booking_id: Id | None = None


class RedemptionOut(Struct):
    id: int
    booking_id: int | None
    points: Money
    state: RedemptionStateName
    reason: str
    created_at: datetime
    updated_at: datetime | None


def redemption_out(r: Redemption) -> RedemptionOut:
    assert r.id is not None
    return RedemptionOut(
        id=r.id,
        booking_id=r.booking_id,
        points=money(r.points),
        state=r.state.value,  # type: ignore[arg-type]
        reason=r.reason,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


class StaffRedemptionOut(RedemptionOut):
    user_id: int
    actor_id: int | None
    captured_by: int | None = None  # the admin who captured the hold at checkout
    visit_price: Money | None = None  # the visit's price when the points were set aside


def staff_redemption_out(r: Redemption) -> StaffRedemptionOut:
    base = redemption_out(r)
    return StaffRedemptionOut(
        **{f: getattr(base, f) for f in base.__struct_fields__},
        user_id=r.user_id,
        actor_id=r.actor_id,
        captured_by=r.captured_by,
        visit_price=money(r.visit_price) if r.visit_price is not None else None,
    )


class CheckoutLineOut(Struct):
    """A visit whose points staff deduct at payment, as a discount in YClients."""

    redemption_id: int
    points: Money
    state: RedemptionStateName
    booking_id: int
    yclients_record_id: int
    appointment_datetime: datetime
    services: list[ServiceOut]
    price: Money
    member_id: int
    member_name: str | None
    member_phone: str | None
    booking_status: str = ""  # PENDING, CONFIRMED, COMPLETED, ...
    visit_price: Money | None = None  # the price when the points were set aside (the cap's base)
    captured_by: int | None = None  # the admin who captured the hold at checkout
    # Captured, and the visit completed at its full pre-hold price: check the discount.
    discount_missing: bool = False


def checkout_line_out(line: CheckoutLine) -> CheckoutLineOut:
    r, b, m = line.redemption, line.booking, line.member
    assert r.id is not None and b.id is not None
    return CheckoutLineOut(
        redemption_id=r.id,
        points=money(r.points),
        state=r.state.value,  # type: ignore[arg-type]
        booking_id=b.id,
        yclients_record_id=b.record_id,
        appointment_datetime=b.local_appointment_at,
        services=[ServiceOut(title, money(cost)) for title, cost in b.services],
        price=money(b.price),
        member_id=r.user_id,
        member_name=m.name if m else None,
        member_phone=m.phone if m else None,
        booking_status=b.status.value,
        visit_price=money(r.visit_price) if r.visit_price is not None else None,
        captured_by=r.captured_by,
        discount_missing=line.discount_missing,
    )


# -- health ---------------------------------------------------------------------------------


class HealthOut(Struct):
    status: Literal["ok"]


class ReadyOut(Struct):
    status: Literal["ok"]
    checks: dict[str, str]


class QuarantinedRecordOut(Struct):
    """A YClients record set aside: which one, where it came from and why (never its data)."""

    id: int
    company_id: int
    record_id: int
    source: str  # sync | webhook
    field: str | None
    reason: str
    quarantined_at: datetime


def quarantined_record_out(q: QuarantinedRecord) -> QuarantinedRecordOut:
    assert q.id is not None
    return QuarantinedRecordOut(
        id=q.id,
        company_id=q.company_id,
        record_id=q.record_id,
        source=q.source,
        field=q.field,
        reason=q.reason,
        quarantined_at=q.quarantined_at,
    )
