"""ReconcilePoints: bring every booking's granted points in line with its entitlement.

While `LOYALTY_ENABLED=false`, cancels and completions write nothing, and the sync only
revisits its own window afterwards: a visit cancelled (or completed) while loyalty was off and
older than `SYNC_PAST_DAYS` would keep (or miss) its points forever. This walks all bookings.

Invariant: each booking's points equal its entitlement, written exactly once. Enforced like
every award: the decision is `SettleVisit`'s, made on rows locked in this transaction (bookings,
then accounts, in id order), and each entry takes the booking's next ledger step, which the
database keeps unique (`uq_loyalty_transactions_booking_step`). Two runs at once (or a run
racing a webhook) therefore write each correction once; the loser retries and finds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal

from src.application.conflicts import retry_on_conflict
from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWorkFactory
from src.application.switches import Switches
from src.application.use_cases.visit_settlement import SettleVisit
from src.domain.money import ZERO

log = logging.getLogger(__name__)

LOYALTY_SWITCH = "loyalty_enabled"  # the app_state row remembering the last reconciled value
MAX_ATTEMPTS = 5


@dataclass(slots=True)
class ReconcileResult:
    """What one run did. `skipped` when it was asked to run only after a switch change."""

    checked: int = 0
    batches: int = 0
    points: Decimal = ZERO
    skipped: bool = False


class ReconcilePoints:
    """`await reconcile()` walks every candidate booking in id-ordered batches (each its own
    transaction, so a long run never holds many locks); `only_if_switch_changed=True` (worker
    startup) runs only when `LOYALTY_ENABLED` differs from the value the last run recorded."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        switches: Switches,
        *,
        batch_size: int = 500,
        award: SettleVisit | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.uow_factory = uow_factory
        self.clock = clock
        self.switches = switches
        self.batch_size = batch_size
        self.award = award or SettleVisit()

    async def __call__(self, *, only_if_switch_changed: bool = False) -> ReconcileResult:
        enabled = self.switches.loyalty_enabled
        current = "true" if enabled else "false"
        if only_if_switch_changed:
            async with self.uow_factory() as uow:
                previous = await uow.app_state.get(LOYALTY_SWITCH)
            if previous == current:
                return ReconcileResult(skipped=True)
        result = ReconcileResult()
        if enabled:  # loyalty off writes nothing (like every other award path)
            after = 0
            while True:
                ids, points = await self._batch(after)
                if not ids:
                    break
                result.checked += len(ids)
                result.batches += 1
                result.points += points
                after = ids[-1]
        # Recorded only after a complete run: a run that died is repeated at the next start.
        async with self.uow_factory() as uow:
            await uow.app_state.put(LOYALTY_SWITCH, current, self.clock.now())
            await uow.commit()
        log.info(
            "points_reconciled",
            extra={
                "checked": result.checked,
                "batches": result.batches,
                "points": str(result.points),
                "loyalty_enabled": enabled,
            },
        )
        return result

    async def _batch(self, after: int) -> tuple[list[int], Decimal]:
        """One batch in one transaction: the next candidate ids after `after`, awarded."""

        async def once() -> tuple[list[int], Decimal]:
            async with self.uow_factory() as uow:
                ids = await uow.bookings.points_candidates(after, self.batch_size)
                points = ZERO
                if ids:
                    points = await self.award(uow, ids, loyalty_enabled=True, now=self.clock.now())
                    await uow.commit()
            return ids, points

        return await retry_on_conflict(
            once, attempts=MAX_ATTEMPTS, log_as="reconcile_points_retry", extra={"after": after}
        )
