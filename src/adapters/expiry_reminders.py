"""ExpiryReminders as a log event: `points_expiry_reminder` with the member's id, the points
and when they expire (never contacts). A message port can replace it in bootstrap."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

log = logging.getLogger("points.expiry")


class LogExpiryReminders:
    async def points_expiring(self, user_id: int, points: Decimal, expires_at: datetime) -> None:
        log.info(
            "points_expiry_reminder",
            extra={"user_id": user_id, "points": str(points), "expires_at": expires_at.isoformat()},
        )
