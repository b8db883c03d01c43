"""Spending points: a member's hold on an upcoming visit (and its release), staff capture of
a hold at checkout, staff redemption.

Invariant: every point spent is one ledger entry, written once, and given back at most once.
The database enforces it: at most one HELD redemption per booking (a unique partial index)
and one entry per (redemption_id, kind), so a hold has one HOLD and at most one RELEASE
(written when it is released, or when its capture is reversed). Decisions are made on rows
locked in the same order everywhere (booking, then redemption, then account), the order
`AwardBonus` uses when a hold follows its booking, so a hold racing the booking's completion
is either captured or never made, and a member's release racing the staff capture is one or
the other. When a hold may move is decided by `src.domain.redemption` (the visit's time,
state and price).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from src.application.errors import Conflict, NotFound, ValidationFailed
from src.application.ledger_log import log_ledger_writes
from src.application.ports.clock import Clock
from src.application.ports.paging import Page
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.use_cases.expire_points import expire_due
from src.domain.booking import Booking
from src.domain.loyalty import EntryKind, LedgerEntry, LoyaltyAccount
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

log = logging.getLogger(__name__)


class HoldPoints:
    """Member: set points aside for one of their own upcoming visits (a HOLD entry)."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        max_percent: Decimal = DEFAULT_MAX_PERCENT,
        rules: HoldRules | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.max_percent = rules.max_percent if rules else max_percent

    async def __call__(self, user_id: int, booking_id: int, points: Decimal) -> Redemption:
        points = quantize(points)
        if points <= ZERO:
            raise ValidationFailed("points: must be positive")
        async with self.uow_factory() as uow:
            locked = await uow.bookings.lock_many([booking_id])
            booking = locked[0] if locked else None
            if booking is None or booking.user_id != user_id:
                raise NotFound(f"booking {booking_id} does not exist")
            if await uow.redemptions.lock_active([booking_id]):
                raise Conflict("booking_id: the booking already has an active redemption")
            spent = await uow.redemptions.redeemed_on(booking_id)
            account = (await uow.ledger.lock_accounts([user_id]))[user_id]
            now = self.clock.now()
            await expire_due(uow, account, now)  # an expired lot is not spent
            refusal = hold_refusal(booking, account.balance, points, self.max_percent, spent)
            if refusal is not None:
                raise ValidationFailed(refusal)
            redemption = await _spend(
                uow,
                account,
                Redemption(
                    user_id=user_id,
                    points=points,
                    state=RedemptionState.HELD,
                    reason=f"held for record {booking.record_id} (company {booking.company_id})",
                    created_at=now,
                    booking_id=booking_id,
                    updated_at=now,
                    visit_price=booking.price,  # the cap's base; a discount later changes nothing
                ),
                EntryKind.HOLD,
            )
            await uow.commit()
        _log("points_held", redemption)
        return redemption


class ReleaseHold:
    """Member: give back a hold while it is theirs, until the visit is near (a RELEASE entry).
    From then on the hold is the salon's (409 saying why): staff capture it at checkout."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, rules: HoldRules | None = None
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules or HoldRules()

    async def __call__(self, user_id: int, redemption_id: int) -> Redemption:
        async with self.uow_factory() as uow:
            seen = await uow.redemptions.get(redemption_id)
            if seen is None or seen.user_id != user_id:
                raise NotFound(f"redemption {redemption_id} does not exist")
            booking, redemption = await _lock_hold(uow, seen)
            refusal = release_refusal(booking, redemption, self.clock.now(), self.rules)
            if refusal is not None:
                raise Conflict(refusal)
            redemption.released_by = user_id  # the member's own (the desk's list says so)
            await release(uow, [redemption], self.clock)
            await uow.commit()
        return redemption


class CaptureHold:
    """Staff at checkout: the member's held points are deducted now (state CAPTURED, the
    capturing admin recorded), before YClients reports the visit. No new entry: the HOLD
    already took the points. The visit's completion then finds nothing held; a cancellation,
    no-show or deletion reverses the capture (a RELEASE entry, once)."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, rules: HoldRules | None = None
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules or HoldRules()

    async def __call__(self, redemption_id: int, admin_id: int) -> Redemption:
        async with self.uow_factory() as uow:
            seen = await uow.redemptions.get(redemption_id)
            if seen is None or seen.booking_id is None:
                raise NotFound(f"hold {redemption_id} does not exist")
            booking, redemption = await _lock_hold(uow, seen)
            refusal = capture_refusal(booking, redemption, self.clock.now(), self.rules)
            if refusal is not None:
                raise Conflict(refusal)
            redemption.captured_by = admin_id
            await capture(uow, [redemption], self.clock)
            await uow.commit()
        return redemption


async def _lock_hold(uow: UnitOfWork, seen: Redemption) -> tuple[Booking | None, Redemption]:
    """Its booking and the redemption itself, locked in the order AwardBonus takes them
    (booking, redemption, account), so a member's release and a staff capture serialise."""
    assert seen.id is not None
    bookings = await uow.bookings.lock_many([seen.booking_id] if seen.booking_id else [])
    redemption = await uow.redemptions.lock(seen.id)
    assert redemption is not None  # nothing deletes redemptions
    return (bookings[0] if bookings else None), redemption


async def release(
    uow: UnitOfWork,
    redemptions: list[Redemption],
    clock: Clock,
    accounts: dict[int, LoyaltyAccount] | None = None,
    note: str = "",
) -> None:
    """Give back locked HELD redemptions (state RELEASED) and CAPTURED ones (state REVERSED,
    the visit did not happen after all): a RELEASE entry each, balances back. Points whose lot
    expired meanwhile expire at once (a hold does not extend a lot's life). `accounts` the
    caller holds locked already are updated in place and saved. `note` starts each entry's
    reason (staff's words when they cancel a hold)."""
    if not redemptions:
        return
    now = clock.now()
    if accounts is None:
        accounts = await uow.ledger.lock_accounts({r.user_id for r in redemptions})
    for r in redemptions:
        reversed_ = r.state is RedemptionState.CAPTURED
        why = "capture reversed, the visit did not happen; " if reversed_ else ""
        await _write(uow, r, EntryKind.RELEASE, r.points, now, note + why)
        accounts[r.user_id].balance += r.points
        r.state = RedemptionState.REVERSED if reversed_ else RedemptionState.RELEASED
        r.updated_at = now
    await uow.redemptions.save(redemptions)
    members = sorted({r.user_id for r in redemptions})
    for uid in members:
        await expire_due(uow, accounts[uid], now)
    await uow.ledger.save_accounts([accounts[uid] for uid in members])
    for r in redemptions:
        _log("points_reversed" if r.state is RedemptionState.REVERSED else "points_released", r)


async def capture(uow: UnitOfWork, redemptions: list[Redemption], clock: Clock) -> None:
    """Capture locked HELD redemptions: the held points are spent as they are (no entry)."""
    if not redemptions:
        return
    now = clock.now()
    for r in redemptions:
        r.state, r.updated_at = RedemptionState.CAPTURED, now
    await uow.redemptions.save(redemptions)
    for r in redemptions:
        _log("points_captured", r)


class RedeemPoints:
    """Staff: spend a member's points at once, bounded by the balance: without a visit
    (corrections), or on an open visit without an active hold, within a hold's cap."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, clock: Clock, rules: HoldRules | None = None
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.rules = rules or HoldRules()

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
                locked = await uow.bookings.lock_many([booking_id])
                booking = locked[0] if locked else None
                if booking is None or booking.user_id != user_id:
                    raise NotFound(f"booking {booking_id} of user {user_id} does not exist")
                active = await uow.redemptions.lock_active([booking_id])
                spent = await uow.redemptions.redeemed_on(booking_id)
                refusal = staff_spend_refusal(
                    booking, active[0] if active else None, points, spent, now, self.rules
                )
                if refusal is not None:
                    raise ValidationFailed(refusal)
                visit_price = booking.price
            account = (await uow.ledger.lock_accounts([user_id]))[user_id]
            await expire_due(uow, account, now)  # an expired lot is not spent
            if points > account.balance:
                raise ValidationFailed(f"points: more than the balance ({account.balance})")
            redemption = await _spend(
                uow,
                account,
                Redemption(
                    user_id=user_id,
                    points=points,
                    state=RedemptionState.REDEEMED,
                    reason=reason.strip(),
                    created_at=now,
                    booking_id=booking_id,
                    actor_id=admin_id,
                    updated_at=now,
                    visit_price=visit_price,
                ),
                EntryKind.REDEMPTION,
            )
            await uow.commit()
        _log("points_redeemed", redemption)
        return redemption


class ListRedemptions:
    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory

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


# Salon offsets range from UTC-12 to UTC+14: a local day lies within this UTC window.
_WIDEST_OFFSET = timedelta(hours=14)


class CheckoutList:
    """Admin: the redemptions (HELD by default) of visits on a salon-local date (today by
    default), with the member's name and phone, the visit's time, services and price."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    async def __call__(
        self, state: RedemptionState = RedemptionState.HELD, day: date | None = None
    ) -> list[CheckoutLine]:
        now = self.clock.now()
        around = day or now.date()
        start = datetime.combine(around, time(), tzinfo=UTC) - _WIDEST_OFFSET
        end = start + timedelta(days=1) + 2 * _WIDEST_OFFSET
        lines = []
        async with self.uow_factory() as uow:
            for r in await uow.redemptions.for_visits(state, start, end):
                booking = await uow.bookings.get(r.booking_id)  # type: ignore[arg-type]
                if booking is None:
                    continue
                local = booking.local_appointment_at
                wanted = day or now.astimezone(local.tzinfo).date()
                if local.date() != wanted:
                    continue
                lines.append(CheckoutLine(r, booking, await uow.users.get(r.user_id)))
        return lines


class PointsHeld:
    """booking id → points held on it, for showing bookings."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory

    async def __call__(self, booking_ids: list[int]) -> dict[int, Decimal]:
        if not booking_ids:
            return {}
        async with self.uow_factory() as uow:
            return await uow.redemptions.held_points(booking_ids)


async def _spend(
    uow: UnitOfWork, account: LoyaltyAccount, new: Redemption, kind: EntryKind
) -> Redemption:
    """Store a new redemption and take its points off the (locked) account: its ledger
    entry (HOLD or REDEMPTION) and the balance, in the caller's transaction."""
    redemption = await uow.redemptions.add(new)
    await _write(uow, redemption, kind, -redemption.points, new.created_at)
    account.balance -= redemption.points
    await uow.ledger.save_accounts([account])
    return redemption


async def _write(
    uow: UnitOfWork, r: Redemption, kind: EntryKind, amount: Decimal, now: datetime, note: str = ""
) -> None:
    # HOLD / RELEASE / REDEMPTION entries carry the redemption, not the booking: a booking's
    # own entries (and `bonus_points`) stay what it earned.
    entry = await uow.ledger.add(
        LedgerEntry(
            user_id=r.user_id,
            kind=kind,
            amount=amount,
            reason=f"{kind.value.lower()}: {note}{r.reason}",
            created_at=now,
            # A hold staff cancelled: its RELEASE is theirs.
            actor_id=r.released_by if kind is EntryKind.RELEASE and r.released_by else r.actor_id,
            redemption_id=r.id,
        )
    )
    log_ledger_writes([entry])


def _log(event: str, r: Redemption) -> None:
    # Ids only, never contacts.
    log.info(
        event,
        extra={
            "redemption_id": r.id,
            "booking_id": r.booking_id,
            "user_id": r.user_id,
            "points": str(r.points),
        },
    )
