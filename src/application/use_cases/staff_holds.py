"""Staff at the front desk cancel a member's hold: the points go back now, whatever the
visit's time (the member changed their mind at the desk, the hold was on the wrong visit)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from src.application.errors import ValidationFailed
from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.use_cases.redemptions import move_hold
from src.application.use_cases.visit_settlement import release
from src.domain.redemption import Redemption, cancel_refusal

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CancelHold:
    """Staff: give a HELD hold's points back (state RELEASED, a RELEASE entry signed by the
    admin with their reason, `released_by` recorded). Captured or released holds are refused
    (409 saying why); a capture racing the cancellation is one or the other."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(self, redemption_id: int, admin_id: int, reason: str) -> Redemption:
        reason = reason.strip()[:500]
        if not reason:
            raise ValidationFailed("reason: must not be empty")

        async def give_back(uow: UnitOfWork, r: Redemption) -> None:
            r.released_by = admin_id
            await release(uow, [r], self.clock, note=f"cancelled by staff: {reason}; ")

        redemption = await move_hold(
            self.uow_factory,
            redemption_id,
            lambda r: r.booking_id is not None,
            f"hold {redemption_id} does not exist",
            lambda _, r: cancel_refusal(r, reason),
            give_back,
        )
        log.info(
            "hold_cancelled",
            extra={
                "redemption_id": redemption.id,
                "admin_id": admin_id,
                "user_id": redemption.user_id,
            },
        )
        return redemption
