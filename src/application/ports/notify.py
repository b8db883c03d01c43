"""The notification port: emails and SMS to members."""

from __future__ import annotations

from typing import Protocol


class Notifier(Protocol):
    """Sends messages to members. `code` is the verification code a message carries, if any
    (the development adapter logs it as a field). Failures raise NotificationFailed."""

    async def send_email(
        self, to: str, subject: str, text: str, code: str | None = None
    ) -> None: ...

    async def send_sms(self, to: str, text: str, code: str | None = None) -> None: ...
