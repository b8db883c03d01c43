"""Issue 20, items 5 and 9: no code in a production log; a notifier failure is "could not
send, try again later" for the member, its details in the log only."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.entrypoints.asgi import create_app
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from tests.fakes.auth import FakeHasher
from tests.fakes.clock import FakeClock
from tests.fakes.yclients import FakeGateway
from tests.integration.http.conftest import PASSWORD, app_client, make_settings

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Inbox:
    def __init__(self) -> None:
        self.codes: list[str] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        body = str(message_from_bytes(envelope.original_content or b"").get_payload())
        words = [w.strip(".,") for w in body.split()]
        self.codes += [w for w in words if len(w) == 6 and w.isdigit()]
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, _Inbox, Controller]]:
    inbox, port = _Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox, controller
    finally:
        controller.stop()


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("mail.log"):  # the test's own SMTP server
            self.records.append(record)

    def text(self) -> str:
        out = []
        for r in self.records:
            out.append(r.getMessage())
            out += [str(v) for v in r.__dict__.values()]
        return "\n".join(out)


@pytest.fixture
def all_logs() -> Iterator[_Everything]:
    handler, root = _Everything(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _production(pg_url: str, smtp_port: int) -> Settings:
    return make_settings(
        pg_url,
        APP_ENV="prod",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_port,
        SMTP_FROM="salon@example.com",
        SMTP_STARTTLS=False,
        SMS_PROVIDER="none",
    )


async def test_no_code_in_any_log_line_of_a_production_process(
    pg_url: str,
    pg_uow_factory: SqlUnitOfWorkFactory,
    smtp: tuple[int, _Inbox, Controller],
    all_logs: _Everything,
) -> None:
    """Without SMTP settings a production process logged every code with its email; now it
    needs SMTP (or refuses to start), and no log line of the code flows carries a code."""
    port, inbox, _ = smtp
    clock = FakeClock()
    container = build_container(
        _production(pg_url, port),
        uow_factory=pg_uow_factory,
        gateway=FakeGateway(),
        hasher=FakeHasher(),
        clock=clock,
    )  # the real notifier the settings ask for
    try:
        async with app_client(create_app(container)) as client:
            body = {"email": "maria@example.com", "password": PASSWORD, "phone": "+79161112233"}
            assert (await client.post(REGISTER, json=body)).status_code == 201
            token = (await client.post(LOGIN, json=body)).json()["access_token"]
            auth = {"Authorization": f"Bearer {token}"}
            me = (await client.get("/api/v1/users/me", headers=auth)).json()
            assert me["phone_verifiable"] is False  # SMS_PROVIDER=none: the member is told
            for _ in range(3):
                wrong = {"code": "000000" if inbox.codes[-1] != "000000" else "111111"}
                answer = await client.post(
                    "/api/v1/users/me/email/verify", json=wrong, headers=auth
                )
                assert answer.status_code == 400
            clock.advance(seconds=61)
            resent = await client.post("/api/v1/users/me/email/resend", headers=auth)
            assert resent.status_code == 202
            reset = {"email": "maria@example.com"}
            assert (
                await client.post("/api/v1/auth/password-reset/request", json=reset)
            ).status_code == 202
            phone = await client.post(
                "/api/v1/users/me/phone/resend", headers=auth
            )  # no SMS gateway
            assert phone.status_code == 409
            assert "sends no SMS" in phone.json()["error"]["message"]
            code = inbox.codes[-2]  # the resent email code (the last is the reset code)
            verified = await client.post(
                "/api/v1/users/me/email/verify", json={"code": code}, headers=auth
            )
            assert verified.status_code == 200, verified.text
    finally:
        await container.aclose()
    assert len(inbox.codes) >= 3
    logged = all_logs.text()
    for sent in inbox.codes:
        assert sent not in logged, f"code {sent} is in the log"


async def test_notifier_failure_leaked_the_smtp_host_and_reply(
    pg_url: str, pg_uow_factory: SqlUnitOfWorkFactory, all_logs: _Everything
) -> None:
    """A failed email answered the member with the SMTP host, port and the server's reply."""
    port = _free_port()  # nothing listens: the mail server is down
    clock = FakeClock()
    container = build_container(
        _production(pg_url, port),
        uow_factory=pg_uow_factory,
        gateway=FakeGateway(),
        hasher=FakeHasher(),
        clock=clock,
    )
    try:
        async with app_client(create_app(container)) as client:
            body = {"email": "maria@example.com", "password": PASSWORD}
            assert (await client.post(REGISTER, json=body)).status_code == 201  # still made
            token = (await client.post(LOGIN, json=body)).json()["access_token"]
            clock.advance(seconds=61)
            answer = await client.post(
                "/api/v1/users/me/email/resend", headers={"Authorization": f"Bearer {token}"}
            )
    finally:
        await container.aclose()
    assert answer.status_code == 502
    message = answer.json()["error"]["message"]
    assert message == "could not send the message; try again later"
    assert "127.0.0.1" not in answer.text and str(port) not in answer.text
    failed = [r for r in all_logs.records if r.getMessage() == "notification_failed"]
    assert failed and f"127.0.0.1:{port}" in failed[0].__dict__["reason"]
