"""ExpiryReminders: a log event `points_expiry_reminder` (member id, points, when; never
contacts) for operators, and an email to the member through the Notifier."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from src.application.errors import NotificationFailed
from src.application.ports.notify import Notifier

log = logging.getLogger("points.expiry")


class LogExpiryReminders:
    async def points_expiring(
        self, user_id: int, points: Decimal, expires_at: datetime, *, email: str | None
    ) -> None:
        log.info(
            "points_expiry_reminder",
            extra={"user_id": user_id, "points": str(points), "expires_at": expires_at.isoformat()},
        )


class EmailExpiryReminders(LogExpiryReminders):
    """Also emails the member at the address given (which addresses may be written to is
    ExpirePoints' decision). A reminder is a courtesy recorded once: a failed send is logged
    and the expiry run goes on."""

    def __init__(self, notifier: Notifier) -> None:
        self.notifier = notifier

    async def points_expiring(
        self, user_id: int, points: Decimal, expires_at: datetime, *, email: str | None
    ) -> None:
        await super().points_expiring(user_id, points, expires_at, email=email)
        if email is None:
            return
        text = (
            f"{points} loyalty points on your account expire on {expires_at:%d.%m.%Y} "
            f"({expires_at:%H:%M} UTC). Spend them at your next visit."
        )
        try:
            await self.notifier.send_email(email, "Your points expire soon", text)
        except NotificationFailed as exc:
            log.warning(
                "points_expiry_reminder_not_sent", extra={"user_id": user_id, "error": str(exc)}
            )
