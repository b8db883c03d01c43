"""Expiry reminders reach the member by email, only at a verified address, and a failed send
never stops the expiry run."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from src.adapters.expiry_reminders import EmailExpiryReminders
from src.application.errors import NotificationFailed
from src.application.ports.users import NewUser
from tests.fakes.notify import FakeNotifier
from tests.fakes.uow import FakeUnitOfWorkFactory

WHEN = datetime(2026, 12, 31, 21, 0, tzinfo=UTC)


async def _member(factory: FakeUnitOfWorkFactory, email: str, verified: bool) -> int:
    async with factory() as uow:
        user = await uow.users.add(
            NewUser(email, "h", email_verified_at=WHEN if verified else None)
        )
        await uow.commit()
    return user.id


async def test_a_reminder_is_emailed_to_a_verified_address() -> None:
    factory, notifier = FakeUnitOfWorkFactory(), FakeNotifier()
    user = await _member(factory, "maria@example.com", verified=True)
    await EmailExpiryReminders(factory, notifier).points_expiring(user, Decimal("75.00"), WHEN)
    [(to, subject, text, code)] = notifier.emails
    assert to == "maria@example.com" and code is None
    assert "75.00" in text and "31.12.2026" in text and "expire" in subject


async def test_an_unverified_address_gets_nothing_unless_verification_is_off() -> None:
    factory, notifier = FakeUnitOfWorkFactory(), FakeNotifier()
    user = await _member(factory, "typed-by-anyone@example.com", verified=False)
    await EmailExpiryReminders(factory, notifier).points_expiring(user, Decimal("1"), WHEN)
    assert notifier.emails == []
    trusting = EmailExpiryReminders(factory, notifier, verified_only=False)
    await trusting.points_expiring(user, Decimal("1"), WHEN)
    assert [e[0] for e in notifier.emails] == ["typed-by-anyone@example.com"]


class _DownNotifier(FakeNotifier):
    async def send_email(self, to: str, subject: str, text: str, code: str | None = None) -> None:
        raise NotificationFailed("email: SMTP server unavailable")


async def test_a_failed_send_is_logged_and_does_not_raise(caplog) -> None:  # type: ignore[no-untyped-def]
    factory = FakeUnitOfWorkFactory()
    user = await _member(factory, "maria@example.com", verified=True)
    await EmailExpiryReminders(factory, _DownNotifier()).points_expiring(user, Decimal("5"), WHEN)
    assert "points_expiry_reminder_not_sent" in caplog.text
