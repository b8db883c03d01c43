"""Email over SMTP with aiosmtplib (STARTTLS by default)."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from src.application.errors import NotificationFailed


class SmtpEmailSender:
    """One connection per message (verification mail is rare); STARTTLS is required unless
    `start_tls=False` (a relay on localhost), so credentials never cross the network in clear."""

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        start_tls: bool = True,
        timeout: float = 15.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.start_tls = start_tls
        self.timeout = timeout

    async def send_email(self, to: str, subject: str, text: str, code: str | None = None) -> None:
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(text)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                start_tls=self.start_tls,
                use_tls=False,
                timeout=self.timeout,
            )
        except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPConnectTimeoutError, OSError) as exc:
            raise NotificationFailed(f"email: SMTP {self.host}:{self.port} unreachable") from exc
        except aiosmtplib.SMTPException as exc:
            # The server's own words (never the password): "relay denied", "auth failed", ...
            raise NotificationFailed(f"email: SMTP {self.host}:{self.port}: {exc}") from exc
