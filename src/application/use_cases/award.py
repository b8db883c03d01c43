"""AwardBonus: bring the ledger of bookings in line with what their state entitles them to."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from decimal import Decimal

from src.application.ledger_log import log_ledger_writes
from src.application.ports.uow import UnitOfWork
from src.application.use_cases.redemptions import capture, release
from src.domain.booking import Booking, BookingStatus
from src.domain.loyalty import (
    EntryKind,
    LedgerEntry,
    LoyaltyAccount,
    LoyaltyLevel,
    apply_award,
    award_fits,
    reconcile,
)
from src.domain.money import ZERO
from src.domain.redemption import Redemption, RedemptionState, hold_outcome

log = logging.getLogger(__name__)


class AwardBonus:
    """Runs inside the caller's unit of work, so the award commits with the booking change.

    Exactly-once holds because the decision is made on rows locked in this transaction
    (bookings, then accounts, both in id order) and every entry carries the booking's next
    ledger step, which the database keeps unique.
    """

    def __init__(self, levels: Sequence[LoyaltyLevel] | None = None) -> None:
        # Levels may be passed in (a sync loads them once); otherwise read per call.
        self._levels = list(levels) if levels is not None else None

    async def __call__(
        self,
        uow: UnitOfWork,
        booking_ids: Collection[int],
        *,
        locked: Sequence[Booking] = (),
        loyalty_enabled: bool,
        now: datetime,
    ) -> Decimal:
        """Award (or reverse) for these bookings; returns the net points written. `locked`
        are bookings the caller already holds locked in this transaction, as stored (say,
        returned by the upsert that wrote them); the others are locked and read here."""
        if not loyalty_enabled or not (booking_ids or locked):
            return ZERO
        held = {b.id for b in locked}
        rest = [i for i in booking_ids if i not in held]
        fetched = await uow.bookings.lock_many(rest) if rest else []
        bookings = sorted(
            (b for b in (*locked, *fetched) if b.user_id is not None),
            key=lambda b: b.id,  # type: ignore[arg-type,return-value]
        )
        if not bookings:
            return ZERO
        levels = self._levels if self._levels is not None else await uow.levels.all()
        # Holds follow their booking; locked after the bookings and before the accounts, the
        # order every money path takes.
        holds = await uow.redemptions.lock_active([b.id for b in bookings])  # type: ignore[misc]
        members = {b.user_id for b in bookings if b.user_id is not None}
        accounts = await uow.ledger.lock_accounts(members | {r.user_id for r in holds})
        entries: list[LedgerEntry] = []
        changed: list[Booking] = []
        for booking in bookings:
            account = accounts[booking.user_id]  # type: ignore[index]
            award = reconcile(booking, account, levels, loyalty_enabled)
            if award is None:
                continue
            if not award_fits(booking, account, award):
                # One member's absurd numbers must not fail everyone else's page: skip this
                # booking (it stays as it was and is retried by the next sync) and say so.
                log.warning(
                    "points_award_overflow",
                    extra={"booking_id": booking.id, "user_id": booking.user_id},
                )
                continue
            apply_award(booking, account, award)
            changed.append(booking)
            if award.amount == ZERO:
                continue  # spend only (a 0 % level): no ledger step
            entries.append(
                LedgerEntry(
                    user_id=account.user_id,
                    kind=award.kind,
                    amount=award.amount,
                    reason=_reason(booking, award.kind, award.percent),
                    created_at=now,
                    booking_id=booking.id,
                    step=booking.ledger_step,
                    percent=award.percent,
                )
            )
        if entries:
            await uow.ledger.append(entries)
            log_ledger_writes(entries)
        # After the booking's own entries: points a release gives back to an expired lot
        # expire at once, on the ledger as it now is.
        await self._follow_holds(uow, bookings, holds, accounts, now)
        if not changed:
            return ZERO
        await uow.bookings.save_loyalty(changed)
        await uow.ledger.save_accounts([accounts[uid] for uid in {b.user_id for b in changed}])  # type: ignore[index]
        return sum((e.amount for e in entries), ZERO)

    async def _follow_holds(
        self,
        uow: UnitOfWork,
        bookings: Sequence[Booking],
        holds: Sequence[Redemption],
        accounts: dict[int, LoyaltyAccount],
        now: datetime,
    ) -> None:
        """COMPLETED captures a booking's hold, CANCELLED / NO_SHOW / deleted releases it (or
        reverses it, when staff captured it already). Exactly once: the redemption is locked
        and leaves HELD / CAPTURED here, and its RELEASE entry is unique per redemption in
        the database."""
        if not holds:
            return
        by_id = {b.id: b for b in bookings}
        to_capture, to_release = [], []
        for r in holds:
            outcome = hold_outcome(by_id[r.booking_id], r)
            if outcome is RedemptionState.CAPTURED:
                to_capture.append(r)
            elif outcome in (RedemptionState.RELEASED, RedemptionState.REVERSED):
                to_release.append(r)
        clock = _Fixed(now)
        await capture(uow, to_capture, clock)
        await release(uow, to_release, clock, accounts)


class _Fixed:
    """The award's `now` as a clock."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now


def _reason(booking: Booking, kind: EntryKind, percent: Decimal) -> str:
    where = f"record {booking.record_id} (company {booking.company_id})"
    if booking.status is not BookingStatus.COMPLETED:
        return f"{booking.status.value.lower()} after points were granted: {where}"
    if kind is EntryKind.ACCRUAL and booking.ledger_step == 1:
        return f"visit completed: {booking.price} at {percent}%, {where}"
    return f"price changed to {booking.price} at {percent}%, {where}"
