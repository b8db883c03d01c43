"""Staff at the front desk cancel a member's hold: the points go back now, whatever the
visit's time (the member changed their mind at the desk, the hold was on the wrong visit)."""

from __future__ import annotations

import logging

from src.application.errors import Conflict, NotFound, ValidationFailed
from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWorkFactory
from src.application.use_cases.redemptions import _lock_hold
from src.application.use_cases.visit_settlement import release
from src.domain.redemption import Redemption, cancel_refusal

log = logging.getLogger(__name__)


class CancelHold:
    """Staff: give a HELD hold's points back (state RELEASED, a RELEASE entry signed by the
    admin with their reason, `released_by` recorded). Captured or released holds are refused
    (409 saying why); a capture racing the cancellation is one or the other."""

    def __init__(self, uow_factory: UnitOfWorkFactory, clock: Clock) -> None:
        self.uow_factory = uow_factory
        self.clock = clock

    async def __call__(self, redemption_id: int, admin_id: int, reason: str) -> Redemption:
        reason = reason.strip()[:500]
        if not reason:
            raise ValidationFailed("reason: must not be empty")
        async with self.uow_factory() as uow:
            seen = await uow.redemptions.get(redemption_id)
            if seen is None or seen.booking_id is None:
                raise NotFound(f"hold {redemption_id} does not exist")
            _, redemption = await _lock_hold(uow, seen)
            refusal = cancel_refusal(redemption, reason)
            if refusal is not None:
                raise Conflict(refusal)
            redemption.released_by = admin_id
            await release(uow, [redemption], self.clock, note=f"cancelled by staff: {reason}; ")
            await uow.commit()
        log.info(
            "hold_cancelled",
            extra={"redemption_id": redemption.id, "admin_id": admin_id, "user_id": seen.user_id},
        )
        return redemption
