"""Writing to the ledger: the one way entries are stored, accounts saved and the writes
reported (`ledger_entry_written` per entry: ids and amounts, never contacts).

Entries come from `LoyaltyAccount.post` (which moved the balance and checked the entry's
sign and bounds); this stores them with the accounts in the caller's transaction and
reports them once it commits, so a transaction retried after a conflict reports once."""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from functools import partial

from src.application.ports.uow import UnitOfWork
from src.domain.loyalty import LedgerEntry, LoyaltyAccount

log = logging.getLogger(__name__)


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
