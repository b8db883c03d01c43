"""One log event per ledger write (`ledger_entry_written`): ids and amounts, never contacts."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from src.domain.loyalty import LedgerEntry

log = logging.getLogger(__name__)


def log_ledger_writes(entries: Iterable[LedgerEntry]) -> None:
    """Call after the entries were written (in the transaction that commits them)."""
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
