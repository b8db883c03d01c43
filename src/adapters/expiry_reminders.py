"""ExpiryReminders: a log event `points_expiry_reminder` (member id, points, when; never
contacts) for operators, and an email to the member through the Notifier."""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal

from src.application.errors import NotificationFailed
from src.application.ports.notify import Notifier
from src.application.ports.uow import UnitOfWorkFactory

log = logging.getLogger("points.expiry")


class LogExpiryReminders:
    async def points_expiring(self, user_id: int, points: Decimal, expires_at: datetime) -> None:
        log.info(
            "points_expiry_reminder",
            extra={"user_id": user_id, "points": str(points), "expires_at": expires_at.isoformat()},
        )


class EmailExpiryReminders(LogExpiryReminders):
    """Also emails the member, only at a verified email (an unverified one may be a
    stranger's address: `verified_only=False` is CONTACT_VERIFICATION=off). A reminder is a
    courtesy recorded once: a failed send is logged and the expiry run goes on."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, notifier: Notifier, *, verified_only: bool = True
    ) -> None:
        self.uow_factory = uow_factory
        self.notifier = notifier
        self.verified_only = verified_only

    async def points_expiring(self, user_id: int, points: Decimal, expires_at: datetime) -> None:
        await super().points_expiring(user_id, points, expires_at)
        async with self.uow_factory() as uow:
            user = await uow.users.get(user_id)
        if user is None or (self.verified_only and user.email_verified_at is None):
            return
        text = (
            f"{points} loyalty points on your account expire on {expires_at:%d.%m.%Y} "
            f"({expires_at:%H:%M} UTC). Spend them at your next visit."
        )
        try:
            await self.notifier.send_email(user.email, "Your points expire soon", text)
        except NotificationFailed as exc:
            log.warning(
                "points_expiry_reminder_not_sent", extra={"user_id": user_id, "error": str(exc)}
            )
