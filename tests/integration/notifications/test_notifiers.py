"""Notifier adapters against a real SMTP server in process (aiosmtpd) and a fake SMS.ru."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from src.adapters.notifications.console import ConsoleNotifier, SplitNotifier
from src.adapters.notifications.smsru import SmsRuSender, smsru_number
from src.adapters.notifications.smtp import SmtpEmailSender
from src.application.errors import NotificationFailed
from src.entrypoints.bootstrap import build_notifier
from src.entrypoints.logs import configure_logging
from src.entrypoints.settings import Settings, SettingsError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


async def test_smtp_sends_the_message(smtp_server: tuple[int, _Inbox]) -> None:
    port, inbox = smtp_server
    sender = SmtpEmailSender("127.0.0.1", port, "salon@example.com", start_tls=False)
    await sender.send_email("maria@example.com", "Your code", "Code: 123456", code="123456")
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.mail_from == "salon@example.com"
    assert envelope.rcpt_tos == ["maria@example.com"]
    parsed = message_from_bytes(envelope.original_content or b"")
    assert parsed["Subject"] == "Your code"
    assert "Code: 123456" in parsed.get_payload()


async def test_smtp_refuses_to_send_without_starttls(smtp_server: tuple[int, _Inbox]) -> None:
    """STARTTLS is required by default: a server that does not offer it gets nothing."""
    port, inbox = smtp_server
    sender = SmtpEmailSender(
        "127.0.0.1", port, "salon@example.com", username="u", password="secret-pw"
    )
    with pytest.raises(NotificationFailed) as caught:
        await sender.send_email("maria@example.com", "Your code", "Code: 123456")
    assert "email: SMTP 127.0.0.1" in str(caught.value)
    assert "secret-pw" not in str(caught.value)
    assert inbox.messages == []


async def test_smtp_unreachable_is_a_clear_error() -> None:
    sender = SmtpEmailSender("127.0.0.1", _free_port(), "salon@example.com", start_tls=False)
    with pytest.raises(NotificationFailed, match="unreachable"):
        await sender.send_email("maria@example.com", "Your code", "Code: 123456")


def _smsru(handler: Any) -> SmsRuSender:
    return SmsRuSender(
        "api-secret", client=httpx.AsyncClient(transport=httpx.MockTransport(handler))
    )


async def test_smsru_sends_the_form_sms_ru_documents() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(
            200,
            json={
                "status": "OK",
                "status_code": 100,
                "sms": {"79161112233": {"status": "OK", "status_code": 100, "sms_id": "1"}},
                "balance": 10.5,
            },
        )

    sender = _smsru(handler)
    await sender.send_sms("+7 (916) 111-22-33", "Code: 123456", code="123456")
    form = dict(httpx.QueryParams(seen[0].content.decode()))
    assert seen[0].url == "https://sms.ru/sms/send"
    assert form == {"api_id": "api-secret", "to": "79161112233", "msg": "Code: 123456", "json": "1"}
    await sender.aclose()


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ({"status": "ERROR", "status_code": 200, "status_text": "x"}, "wrong SMSRU_API_ID"),
        ({"status": "ERROR", "status_code": 201}, "not enough money"),
        (
            {
                "status": "OK",
                "status_code": 100,
                "sms": {"79161112233": {"status": "ERROR", "status_code": 207}},
            },
            "no route to this number",
        ),
        ({"status": "ERROR", "status_code": 999, "status_text": "Something new"}, "Something new"),
    ],
)
async def test_smsru_errors_are_mapped_to_clear_errors(
    answer: dict[str, Any], message: str
) -> None:
    sender = _smsru(lambda request: httpx.Response(200, json=answer))
    with pytest.raises(NotificationFailed, match=message) as caught:
        await sender.send_sms("89161112233", "Code: 123456")
    assert "api-secret" not in str(caught.value)


async def test_smsru_transport_failures_are_clear_errors() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    with pytest.raises(NotificationFailed, match="unreachable"):
        await _smsru(down).send_sms("9161112233", "x")
    with pytest.raises(NotificationFailed, match="HTTP 503"):
        await _smsru(lambda r: httpx.Response(503)).send_sms("9161112233", "x")
    with pytest.raises(NotificationFailed, match="not JSON"):
        await _smsru(lambda r: httpx.Response(200, text="<html>")).send_sms("9161112233", "x")


def test_smsru_number_format() -> None:
    assert smsru_number("+7 916 111-22-33") == "79161112233"
    assert smsru_number("89161112233") == "79161112233"
    assert smsru_number("9161112233") == "79161112233"


async def test_console_notifier_logs_one_json_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    try:
        await ConsoleNotifier().send_sms("+79161112233", "Code: 123456", code="123456")
        lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line]
    finally:
        configure_logging("INFO", "console")
        logging.getLogger().handlers.clear()
    sent = [line for line in lines if line.get("event") == "notification_sent"]
    assert len(sent) == 1
    assert sent[0] | {"channel": "sms", "to": "+79161112233", "code": "123456"} == sent[0]
    assert sent[0]["text"] == "Code: 123456"


def test_notifier_settings_are_checked() -> None:
    dev = build_notifier(Settings(APP_ENV="dev"))[0]
    assert isinstance(dev, SplitNotifier) and isinstance(dev._email, ConsoleNotifier)
    with pytest.raises(SettingsError, match="SMSRU_API_ID"):
        build_notifier(Settings(SMS_PROVIDER="smsru"))
    with pytest.raises(SettingsError, match="SMTP_FROM"):
        build_notifier(Settings(SMTP_HOST="mail.example.com"))
    with pytest.raises(SettingsError, match="SMS_PROVIDER"):
        build_notifier(Settings(SMS_PROVIDER="twilio"))
