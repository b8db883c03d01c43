"""The checkout page, read in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWorkFactory
from src.application.use_cases.redemptions import CheckoutLine, checkout_lines
from src.domain.redemption import RedemptionState


@dataclass(frozen=True, slots=True)
class CheckoutView:
    lines: list[CheckoutLine]  # the redemptions in the state asked for, earliest first
    flagged: list[CheckoutLine]  # captured at the full price: the discount is missing


@dataclass(slots=True)
class CheckoutPage:
    """Admin: a salon-local day's redemptions in one state (`CheckoutList`) and the captured
    ones whose discount YClients is missing, whatever state is shown. One unit of work, a
    fixed number of statements."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(
        self, state: RedemptionState = RedemptionState.HELD, day: date | None = None
    ) -> CheckoutView:
        now = self.clock.now()
        captured = RedemptionState.CAPTURED
        async with self.uow_factory() as uow:
            lines = await checkout_lines(uow, state, day, now)
            done = lines if state is captured else await checkout_lines(uow, captured, day, now)
        return CheckoutView(
            sorted(lines, key=lambda line: line.booking.appointment_at),
            [line for line in done if line.discount_missing],
        )
