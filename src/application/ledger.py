"""Writing to the ledger: the one way entries are stored, accounts saved and the writes
reported (`ledger_entry_written` per entry: ids and amounts, never contacts).

Entries come from `LoyaltyAccount.post` (which moved the balance and checked the entry's
sign and bounds); this stores them with the accounts in the caller's transaction and
reports them once it commits, so a transaction retried after a conflict reports once."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from datetime import datetime
from functools import partial

from src.application.ports.uow import UnitOfWork
from src.domain.expiry import LotBook, TtlHistory, due, replay
from src.domain.loyalty import EntryKind, LedgerEntry, LoyaltyAccount
from src.domain.money import ZERO

log = logging.getLogger(__name__)

TTL_HISTORY = "points_ttl_days"  # the app_state row: POINTS_TTL_DAYS over time


async def post_entries(
    uow: UnitOfWork,
    entries: Sequence[LedgerEntry],
    accounts: Collection[LoyaltyAccount] = (),
) -> list[LedgerEntry]:
    """Store `entries` and save `accounts` (locked by the caller) in the caller's
    transaction; returns the entries as stored, in order. A booking's steps go in one
    statement (their (booking, step) is unique); the others one by one, with their ids
    (a redemption's HOLD / RELEASE / REDEMPTION is unique per kind)."""
    await uow.ledger.append([e for e in entries if e.booking_id is not None])
    stored = [e if e.booking_id is not None else await uow.ledger.add(e) for e in entries]
    if accounts:
        await uow.ledger.save_accounts(accounts)
    if stored:
        uow.after_commit(partial(_report, stored))
    return stored


def _report(entries: Sequence[LedgerEntry]) -> None:
    for e in entries:
        log.info(
            "ledger_entry_written",
            extra={
                "kind": e.kind.value,
                "amount": str(e.amount),
                "user_id": e.user_id,
                "booking_id": e.booking_id,
                "redemption_id": e.redemption_id,
                "actor_id": e.actor_id,
                "entry_id": e.id,
            },
        )


async def expire_due(uow: UnitOfWork, account: LoyaltyAccount, now: datetime) -> list[LedgerEntry]:
    """In the caller's transaction, holding `account` locked: expire the member's lots whose
    time has come (an EXPIRY entry each, the balance lowered and the account saved).
    Money paths call it where points come back or go out (a released or reversed hold, a new
    hold or staff spend), so a hold never extends a lot's life: points given back after their
    lot expired expire at once, and an expired lot is never spent before the daily run."""
    history = TtlHistory.load(await uow.app_state.get(TTL_HISTORY))
    if all(days == 0 for _, days in history.changes):
        return []
    book = replay(
        await uow.expiry.ledger(account.user_id),
        history,
        await uow.expiry.expired_lots(account.user_id),
    )
    return await expire_lots(uow, account, book, now)


async def expire_lots(
    uow: UnitOfWork, account: LoyaltyAccount, book: LotBook, now: datetime
) -> list[LedgerEntry]:
    """One EXPIRY entry per due lot for what is left of it (recorded against the lot, once),
    posted to `account` (locked by the caller) and saved with it."""
    lots = due(book, now)
    if not lots:
        return []
    posted = [
        account.post(
            EntryKind.EXPIRY,
            -lot.remaining,
            f"points credited {lot.credited_at:%Y-%m-%d} expired",
            now,
        )
        for lot in lots
    ]
    written = await post_entries(uow, posted, [account])
    for lot, entry in zip(lots, written, strict=True):
        await uow.expiry.record_expiry(
            lot.entry_id, entry.id or 0, account.user_id, -entry.amount, now
        )
        lot.consumed -= entry.amount
        lot.expired = True
    # counted as loyalty_points_spending_total{flow="expired"}
    spent = str(-sum((e.amount for e in written), ZERO))
    extra = {"user_id": account.user_id, "points": spent}
    uow.after_commit(partial(log.info, "points_expired", extra=extra))
    return written
