"""Expiry reminders reach the member by email at the address ExpirePoints gives (none: only
the operators' log line), and a failed send never stops the expiry run."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from src.adapters.expiry_reminders import EmailExpiryReminders
from src.application.errors import NotificationFailed
from tests.fakes.notify import FakeNotifier

WHEN = datetime(2026, 12, 31, 21, 0, tzinfo=UTC)


async def test_a_reminder_is_emailed_to_the_address_given() -> None:
    notifier = FakeNotifier()
    reminders = EmailExpiryReminders(notifier)
    await reminders.points_expiring(7, Decimal("75.00"), WHEN, email="maria@example.com")
    [(to, subject, text, code)] = notifier.emails
    assert to == "maria@example.com" and code is None
    assert "75.00" in text and "31.12.2026" in text and "expire" in subject


async def test_no_address_sends_nothing_but_logs_the_reminder(caplog) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level("INFO", logger="points.expiry")
    notifier = FakeNotifier()
    await EmailExpiryReminders(notifier).points_expiring(7, Decimal("1"), WHEN, email=None)
    assert notifier.emails == []
    assert "points_expiry_reminder" in caplog.text


class _DownNotifier(FakeNotifier):
    async def send_email(self, to: str, subject: str, text: str, code: str | None = None) -> None:
        raise NotificationFailed("email: SMTP server unavailable")


async def test_a_failed_send_is_logged_and_does_not_raise(caplog) -> None:  # type: ignore[no-untyped-def]
    reminders = EmailExpiryReminders(_DownNotifier())
    await reminders.points_expiring(7, Decimal("5"), WHEN, email="maria@example.com")
    assert "points_expiry_reminder_not_sent" in caplog.text
