"""SettleVisit: when bookings change, bring their points in line with their state (award,
or reverse what they earned) and settle the holds on them (capture on completion, release
or reverse on cancellation, no-show or deletion). `capture` and `release` are also what staff
and members reach through `CaptureHold` and `ReleaseHold`."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial

from src.application.ledger import expire_due, post_entries
from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWork
from src.domain.booking import Booking
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


@dataclass(slots=True)
class SettleVisit:
    """Runs inside the caller's unit of work, so the settlement commits with the booking
    change. `levels` may be passed in (a sync loads them once); otherwise read per call.

    Exactly-once holds because the decision is made on rows locked in this transaction
    (bookings, then their holds, then accounts, bookings and accounts in id order) and every
    entry carries the booking's next ledger step, which the database keeps unique.
    """

    levels: Sequence[LoyaltyLevel] | None = None

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
        levels = list(self.levels) if self.levels is not None else await uow.levels.all()
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
            entry = apply_award(booking, account, award, now)
            changed.append(booking)
            if entry is not None:
                entries.append(entry)
        await post_entries(uow, entries)
        # After the booking's own entries: points a release gives back to an expired lot
        # expire at once, on the ledger as it now is.
        await _follow_holds(uow, bookings, holds, accounts, now)
        if not changed:
            return ZERO
        await uow.bookings.save_loyalty(changed)
        await uow.ledger.save_accounts([accounts[uid] for uid in {b.user_id for b in changed}])  # type: ignore[index]
        return sum((e.amount for e in entries), ZERO)


async def _follow_holds(
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
    entries = []
    for r in redemptions:
        reversed_ = r.state is RedemptionState.CAPTURED
        why = "capture reversed, the visit did not happen; " if reversed_ else ""
        account = accounts[r.user_id]
        entries.append(redemption_entry(account, r, EntryKind.RELEASE, now, note + why))
        r.state = RedemptionState.REVERSED if reversed_ else RedemptionState.RELEASED
        r.updated_at = now
    await post_entries(uow, entries)
    await uow.redemptions.save(redemptions)
    members = sorted({r.user_id for r in redemptions})
    for uid in members:
        await expire_due(uow, accounts[uid], now)
    await uow.ledger.save_accounts([accounts[uid] for uid in members])
    for r in redemptions:
        report(
            uow, "points_reversed" if r.state is RedemptionState.REVERSED else "points_released", r
        )


async def capture(uow: UnitOfWork, redemptions: list[Redemption], clock: Clock) -> None:
    """Capture locked HELD redemptions: the held points are spent as they are (no entry)."""
    if not redemptions:
        return
    now = clock.now()
    for r in redemptions:
        r.state, r.updated_at = RedemptionState.CAPTURED, now
    await uow.redemptions.save(redemptions)
    for r in redemptions:
        report(uow, "points_captured", r)


def redemption_entry(
    account: LoyaltyAccount, r: Redemption, kind: EntryKind, now: datetime, note: str = ""
) -> LedgerEntry:
    """Post a redemption's HOLD / REDEMPTION (its points out) or RELEASE (back) to the
    account. These entries carry the redemption, not the booking: a booking's own entries
    (and `bonus_points`) stay what it earned. A RELEASE is signed by whoever gave the hold
    back (`released_by`: the member or staff), when someone did."""
    giving_back = kind is EntryKind.RELEASE
    return account.post(
        kind,
        r.points if giving_back else -r.points,
        f"{kind.value.lower()}: {note}{r.reason}",
        now,
        actor_id=r.released_by if giving_back and r.released_by else r.actor_id,
        redemption_id=r.id,
    )


def report(uow: UnitOfWork, event: str, r: Redemption) -> None:
    """Log `event` about the redemption once the transaction commits (ids only, never
    contacts)."""
    uow.after_commit(
        partial(
            log.info,
            event,
            extra={
                "redemption_id": r.id,
                "booking_id": r.booking_id,
                "user_id": r.user_id,
                "points": str(r.points),
            },
        )
    )


class _Fixed:
    """The settlement's `now` as a clock."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now
