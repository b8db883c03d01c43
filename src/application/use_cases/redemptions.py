"""Spending points: a member's hold on an upcoming visit (and its release), staff capture of
a hold at checkout, staff redemption.

Invariant: every point spent is one ledger entry, written once, and given back at most once.
The database enforces it: at most one HELD redemption per booking (a unique partial index)
and one entry per (redemption_id, kind), so a hold has one HOLD and at most one RELEASE
(written when it is released, or when its capture is reversed). Decisions are made on rows
locked in the same order everywhere (booking, then redemption, then account), the order
`SettleVisit` uses when a hold follows its booking, so a hold racing the booking's completion
is either captured or never made, and a member's release racing the staff capture is one or
the other. When a hold may move is decided by `src.domain.redemption` (the visit's time,
state and price).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from src.application.errors import Conflict, NotFound, ValidationFailed
from src.application.ledger import expire_due, post_entries
from src.application.ports.clock import Clock
from src.application.ports.paging import Page
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.use_cases.today import day_window
from src.application.use_cases.visit_settlement import (
    capture,
    redemption_entry,
    release,
    report,
)
from src.domain.booking import Booking
from src.domain.loyalty import EntryKind, LoyaltyAccount
from src.domain.money import ZERO, quantize
from src.domain.redemption import (
    DEFAULT_MAX_PERCENT,
    HoldRules,
    Redemption,
    RedemptionState,
    ReleaseCause,
    amount_to_pay,
    capture_refusal,
    discount_missing,
    hold_refusal,
    release_cause,
    release_refusal,
    staff_spend_refusal,
)
from src.domain.user import User


@dataclass(slots=True)
class HoldPoints:
    """Member: set points aside for one of their own upcoming visits (a HOLD entry). The
    cap is `rules.max_percent` when rules are given, else `max_percent`."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    max_percent: Decimal = DEFAULT_MAX_PERCENT
    rules: HoldRules | None = None

    async def __call__(self, user_id: int, booking_id: int, points: Decimal) -> Redemption:
        points = quantize(points)
        if points <= ZERO:
            raise ValidationFailed("points: must be positive")
        cap = self.rules.max_percent if self.rules else self.max_percent
        async with self.uow_factory() as uow:
            booking = await _lock_own_booking(uow, user_id, booking_id)
            if await uow.redemptions.lock_active([booking_id]):
                raise Conflict("booking_id: the booking already has an active redemption")
            spent = await uow.redemptions.redeemed_on(booking_id)
            now = self.clock.now()
            account = await _lock_account(uow, user_id, now)
            refusal = hold_refusal(booking, account.balance, points, cap, spent)
            if refusal is not None:
                raise ValidationFailed(refusal)
            redemption = await _spend(
                uow,
                account,
                EntryKind.HOLD,
                points,
                f"held for record {booking.record_id} (company {booking.company_id})",
                now,
                booking_id,
                visit_price=booking.price,  # the cap's base; a discount later changes nothing
            )
            report(uow, "points_held", redemption)
            await uow.commit()
        return redemption


# Why a hold may not move now (None: it may), from `src.domain.redemption`.
_Refusal = Callable[[Booking | None, Redemption, datetime, HoldRules], str | None]


@dataclass(slots=True)
class ReleaseHold:
    """Member: give back a hold while it is theirs, until the visit is near (a RELEASE entry).
    From then on the hold is the salon's (409 saying why): staff capture it at checkout."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    rules: HoldRules = field(default_factory=HoldRules)

    async def __call__(self, user_id: int, redemption_id: int) -> Redemption:
        async def give_back(uow: UnitOfWork, r: Redemption) -> None:
            r.released_by = user_id  # the member's own (the desk's list says so)
            await release(uow, [r], self.clock)

        return await move_hold(
            self.uow_factory,
            redemption_id,
            lambda r: r.user_id == user_id,
            f"redemption {redemption_id} does not exist",
            lambda b, r: release_refusal(b, r, self.clock.now(), self.rules),
            give_back,
        )


@dataclass(slots=True)
class CaptureHold:
    """Staff at checkout: the member's held points are deducted now (state CAPTURED, the
    capturing admin recorded), before YClients reports the visit. No new entry: the HOLD
    already took the points. The visit's completion then finds nothing held; a cancellation,
    no-show or deletion reverses the capture (a RELEASE entry, once)."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    rules: HoldRules = field(default_factory=HoldRules)

    async def __call__(self, redemption_id: int, admin_id: int) -> Redemption:
        async def take(uow: UnitOfWork, r: Redemption) -> None:
            r.captured_by = admin_id
            await capture(uow, [r], self.clock)

        return await move_hold(
            self.uow_factory,
            redemption_id,
            lambda r: r.booking_id is not None,
            f"hold {redemption_id} does not exist",
            lambda b, r: capture_refusal(b, r, self.clock.now(), self.rules),
            take,
        )


async def move_hold(
    uow_factory: UnitOfWorkFactory,
    redemption_id: int,
    visible: Callable[[Redemption], bool],
    missing: str,
    refusal: Callable[[Booking | None, Redemption], str | None],
    move: Callable[[UnitOfWork, Redemption], Awaitable[None]],
) -> Redemption:
    """Release, capture or cancel one hold: NotFound (`missing`) unless `visible` to the caller,
    Conflict when `refusal` says why not, else `move` it and commit."""
    async with uow_factory() as uow:
        seen = await uow.redemptions.get(redemption_id)
        if seen is None or not visible(seen):
            raise NotFound(missing)
        booking, redemption = await _lock_hold(uow, seen)
        why = refusal(booking, redemption)
        if why is not None:
            raise Conflict(why)
        await move(uow, redemption)
        await uow.commit()
    return redemption


async def _lock_hold(uow: UnitOfWork, seen: Redemption) -> tuple[Booking | None, Redemption]:
    """Its booking and the redemption itself, locked in the order SettleVisit takes them
    (booking, redemption, account), so a member's release and a staff capture serialise."""
    assert seen.id is not None
    bookings = await uow.bookings.lock_many([seen.booking_id] if seen.booking_id else [])
    redemption = await uow.redemptions.lock(seen.id)
    assert redemption is not None  # nothing deletes redemptions
    return (bookings[0] if bookings else None), redemption


@dataclass(slots=True)
class RedeemPoints:
    """Staff: spend a member's points at once, bounded by the balance: without a visit
    (corrections), or on an open visit without an active hold, within a hold's cap."""

    uow_factory: UnitOfWorkFactory
    clock: Clock
    rules: HoldRules = field(default_factory=HoldRules)

    async def __call__(
        self,
        user_id: int,
        points: Decimal,
        reason: str,
        admin_id: int,
        booking_id: int | None = None,
    ) -> Redemption:
        points = quantize(points)
        if points <= ZERO:
            raise ValidationFailed("points: must be positive")
        if not reason.strip():
            raise ValidationFailed("reason: must not be empty")
        async with self.uow_factory() as uow:
            if await uow.users.get(user_id) is None:
                raise NotFound(f"user {user_id} does not exist")
            now = self.clock.now()
            visit_price = None
            if booking_id is not None:
                # Locked first, as every money path does: a hold made meanwhile waits.
                booking = await _lock_own_booking(uow, user_id, booking_id, of_user=True)
                active = await uow.redemptions.lock_active([booking_id])
                spent = await uow.redemptions.redeemed_on(booking_id)
                refusal = staff_spend_refusal(
                    booking, active[0] if active else None, points, spent, now, self.rules
                )
                if refusal is not None:
                    raise ValidationFailed(refusal)
                visit_price = booking.price
            account = await _lock_account(uow, user_id, now)
            if points > account.balance:
                raise ValidationFailed(f"points: more than the balance ({account.balance})")
            redemption = await _spend(
                uow,
                account,
                EntryKind.REDEMPTION,
                points,
                reason.strip(),
                now,
                booking_id,
                visit_price=visit_price,
                actor_id=admin_id,
            )
            report(uow, "points_redeemed", redemption)
            await uow.commit()
        return redemption


async def _lock_own_booking(
    uow: UnitOfWork, user_id: int, booking_id: int, *, of_user: bool = False
) -> Booking:
    """The member's booking, locked (NotFound when it is missing or someone else's)."""
    locked = await uow.bookings.lock_many([booking_id])
    if not locked or locked[0].user_id != user_id:
        of = f" of user {user_id}" if of_user else ""
        raise NotFound(f"booking {booking_id}{of} does not exist")
    return locked[0]


async def _lock_account(uow: UnitOfWork, user_id: int, now: datetime) -> LoyaltyAccount:
    """The member's account, locked after their booking and hold, with the lots whose time
    has come expired first (an expired lot is not spent)."""
    account = (await uow.ledger.lock_accounts([user_id]))[user_id]
    await expire_due(uow, account, now)
    return account


@dataclass(slots=True)
class ListRedemptions:
    uow_factory: UnitOfWorkFactory

    async def __call__(self, user_id: int, limit: int = 20, offset: int = 0) -> Page[Redemption]:
        async with self.uow_factory() as uow:
            return await uow.redemptions.query(user_id, limit, offset)


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    """One visit whose points staff deduct at payment (as a discount in YClients)."""

    redemption: Redemption
    booking: Booking
    member: User | None

    @property
    def discount_missing(self) -> bool:
        """Completed at its full pre-hold price with the hold captured: check YClients."""
        return discount_missing(self.booking, self.redemption)

    @property
    def to_pay(self) -> Decimal:
        """What the client pays: the price less the points, unless entered already."""
        return amount_to_pay(self.booking, self.redemption)

    @property
    def cause(self) -> ReleaseCause | None:
        """Who gave the points back (staff, the visit's cancellation, the member)."""
        return release_cause(self.booking, self.redemption)


async def checkout_lines(
    uow: UnitOfWork, state: RedemptionState, day: date | None, now: datetime
) -> list[CheckoutLine]:
    """The redemptions in `state` of visits on a salon-local `day` (None: each salon's today
    at `now`), earliest first, in the caller's transaction: three statements, however many."""
    if day is None:
        # The salon's today, in whatever zone, starts within a day before now and ends
        # within a day after it (now's UTC date is the day before Moscow's after 21:00).
        start, end = now - timedelta(days=1), now + timedelta(days=1)
    else:
        start, end = day_window(day)
    found = await uow.redemptions.for_visits(state, start, end)
    visits = await uow.bookings.get_by_ids({r.booking_id for r in found if r.booking_id})
    kept = []
    for r in found:
        booking = visits.get(r.booking_id) if r.booking_id is not None else None
        if booking is None:
            continue
        local = booking.local_appointment_at
        if local.date() == (day or now.astimezone(local.tzinfo).date()):
            kept.append((r, booking))
    members = await uow.users.get_many({r.user_id for r, _ in kept})
    return [CheckoutLine(r, booking, members.get(r.user_id)) for r, booking in kept]


@dataclass(slots=True)
class CheckoutList:
    """Admin: the redemptions (HELD by default) of visits on a salon-local date (today by
    default), with the member's name and phone, the visit's time, services and price."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(
        self, state: RedemptionState = RedemptionState.HELD, day: date | None = None
    ) -> list[CheckoutLine]:
        async with self.uow_factory() as uow:
            return await checkout_lines(uow, state, day, self.clock.now())


@dataclass(slots=True)
class PointsHeld:
    """booking id → points held on it, for showing bookings."""

    uow_factory: UnitOfWorkFactory

    async def __call__(self, booking_ids: list[int]) -> dict[int, Decimal]:
        if not booking_ids:
            return {}
        async with self.uow_factory() as uow:
            return await uow.redemptions.held_points(booking_ids)


HOLDS_LOOKED_AT = 100  # a member's newest redemptions searched for HELD ones


async def held_redemptions(uow: UnitOfWork, user_id: int) -> dict[int, int]:
    """booking id → its HELD redemption's id (what staff capture or cancel), among the
    member's newest `HOLDS_LOOKED_AT` redemptions, in the caller's transaction."""
    page = await uow.redemptions.query(user_id, HOLDS_LOOKED_AT, 0)
    return {
        r.booking_id: r.id
        for r in page.items
        if r.state is RedemptionState.HELD and r.booking_id is not None and r.id is not None
    }


_STATE_OF = {EntryKind.HOLD: RedemptionState.HELD, EntryKind.REDEMPTION: RedemptionState.REDEEMED}


async def _spend(
    uow: UnitOfWork,
    account: LoyaltyAccount,
    kind: EntryKind,
    points: Decimal,
    reason: str,
    now: datetime,
    booking_id: int | None,
    *,
    visit_price: Decimal | None,
    actor_id: int | None = None,
) -> Redemption:
    """Store a new redemption (HELD for a HOLD entry, REDEEMED for a REDEMPTION) and take its
    points off the (locked) account: the ledger entry and the balance, in the caller's
    transaction."""
    new = Redemption(
        user_id=account.user_id,
        points=points,
        state=_STATE_OF[kind],
        reason=reason,
        created_at=now,
        booking_id=booking_id,
        actor_id=actor_id,
        updated_at=now,
        visit_price=visit_price,
    )
    redemption = await uow.redemptions.add(new)
    entry = redemption_entry(account, redemption, kind, now)
    await post_entries(uow, [entry], [account])
    return redemption
