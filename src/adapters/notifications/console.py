"""Development notifier: every message is one log line, event `notification_sent`."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class ConsoleNotifier:
    """Logs instead of sending, so the newcomer flow needs no mail server or SMS account.
    The code is a field of its own (`code`), easy to pick out of JSON logs."""

    async def send_email(self, to: str, subject: str, text: str, code: str | None = None) -> None:
        log.info(
            "notification_sent",
            extra={"channel": "email", "to": to, "subject": subject, "text": text, "code": code},
        )

    async def send_sms(self, to: str, text: str, code: str | None = None) -> None:
        log.info(
            "notification_sent", extra={"channel": "sms", "to": to, "text": text, "code": code}
        )


class EmailSender(Protocol):
    async def send_email(
        self, to: str, subject: str, text: str, code: str | None = None
    ) -> None: ...


class SmsSender(Protocol):
    async def send_sms(self, to: str, text: str, code: str | None = None) -> None: ...


class SplitNotifier:
    """Emails through one adapter, SMS through another."""

    def __init__(self, email: EmailSender, sms: SmsSender) -> None:
        self._email = email
        self._sms = sms

    async def send_email(self, to: str, subject: str, text: str, code: str | None = None) -> None:
        await self._email.send_email(to, subject, text, code)

    async def send_sms(self, to: str, text: str, code: str | None = None) -> None:
        await self._sms.send_sms(to, text, code)
