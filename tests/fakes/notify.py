"""A notifier that records every message."""

from __future__ import annotations


class FakeNotifier:
    """Records every message; `codes` is what a member would read."""

    def __init__(self) -> None:
        self.emails: list[tuple[str, str, str, str | None]] = []
        self.sms: list[tuple[str, str, str | None]] = []

    async def send_email(self, to: str, subject: str, text: str, code: str | None = None) -> None:
        self.emails.append((to, subject, text, code))

    async def send_sms(self, to: str, text: str, code: str | None = None) -> None:
        self.sms.append((to, text, code))
