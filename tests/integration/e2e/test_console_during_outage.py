"""Issue 21 item 8: a YClients outage must not freeze the console.

In the embedded mode (one process, SQLite file, the in-process task runner, no Redis) a
webhook whose `data` is partial makes the drain fetch its record from YClients. Here YClients
accepts connections and never answers, and the retry budget is 20 s. While the drain waits on
it, a signed-in admin opens the checkout page, the Сегодня page and a member's page and saves
an adjustment, and replays the stalled event; each answers a console HTML page within a
few seconds, and a webhook that arrives meanwhile is accepted at once.

What it guards: item 3, "No claim held across YClients" (`ApplyBatch.batch` fetches the
records it wants after its claim's transaction is committed). Every SQLite transaction here
begins IMMEDIATE, i.e. takes the database's write lock: with the fetch inside the claim (as
before item 3) the drain holds that lock for the whole retry budget, every page and the
webhook accept wait on it up to SQLite's busy timeout (30 s), and this test fails: with the
fetch moved back into the claim's transaction, the checkout page took 30.1 s and answered 409
("database is locked"); with item 3 each request below took under 0.05 s.

The replay asks YClients whether the event's record still exists (`ReplayWebhookEvent`): it
waited out the whole retry budget (20.1 s here) until that check was bounded
(`record_check_seconds`, 2 s).
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from src.adapters.db.migrate import upgrade
from src.domain.user import Role
from src.entrypoints.asgi import create_app
from src.entrypoints.bootstrap import build_container
from src.entrypoints.runtime import Runtime
from src.entrypoints.settings import Settings
from tests.factories import COMPANY_ID
from tests.fakes.auth import FakeHasher
from tests.integration.http.conftest import (
    JWT_SECRET,
    NO_LIMIT,
    PASSWORD,
    WEBHOOK_SECRET,
    app_client,
    webhook_fixture,
)
from tests.integration.http.test_console import csrf_token, sign_in

pytestmark = pytest.mark.slow

RETRY_BUDGET = 20.0  # long enough that a lock held across YClients would show
PROMPT = 3.0  # seconds: what "does not freeze" means for each request below
WEBHOOK = "/api/v1/yclients/webhook"


class StalledYClients:
    """A YClients that accepts connections and reads requests, and never answers."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._held: list[asyncio.StreamWriter] = []

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/api/v1"

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._held.append(writer)
        while await reader.read(65536):
            pass

    @asynccontextmanager
    async def running(self) -> AsyncIterator[StalledYClients]:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        try:
            yield self
        finally:
            for writer in self._held:
                writer.close()
            self._server.close()


def partial_webhook(record_id: int) -> bytes:
    """A create-webhook whose `data` is partial: the record must come from YClients."""
    body = webhook_fixture()
    body["resource_id"] = record_id
    body["data"] = {"id": record_id}
    return json.dumps(body).encode()


def post_webhook(client: httpx.AsyncClient, record_id: int) -> Awaitable[httpx.Response]:
    return client.post(
        WEBHOOK, content=partial_webhook(record_id), params={"secret": WEBHOOK_SECRET},
        headers={"Content-Type": "application/json"},
    )  # fmt: skip


async def timed(request: Awaitable[httpx.Response]) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = await request
    return response, time.monotonic() - started


def assert_console_page(response: httpx.Response, seconds: float, what: str) -> None:
    took = f"{what} took {seconds:.1f} s during the outage: {response.status_code}"
    assert seconds < PROMPT, f"{took} {response.text[:300]}"
    assert response.status_code == 200, (what, response.status_code, response.text[:500])
    assert response.headers["content-type"].startswith("text/html"), (what, response.headers)
    assert "database is locked" not in response.text, what


async def test_console_answers_while_the_drain_waits_on_a_stalled_yclients(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    await upgrade(url, "head")
    async with StalledYClients().running() as yclients:
        settings = Settings(
            APP_ENV="dev",
            DATABASE_URL=url,
            JWT_SECRET=JWT_SECRET,
            YCLIENTS_WEBHOOK_SECRET=WEBHOOK_SECRET,
            YCLIENTS_BASE_URL=yclients.url,
            YCLIENTS_PARTNER_TOKEN="partner",
            YCLIENTS_USER_TOKEN="user",
            YCLIENTS_COMPANY_IDS=(COMPANY_ID,),
            YCLIENTS_TIMEOUT_SECONDS=RETRY_BUDGET,
            YCLIENTS_RETRY_BUDGET_SECONDS=RETRY_BUDGET,
            SYNC_INTERVAL_MINUTES=600,
        )
        # The served app's own wiring (`_own_container`): the in-process runner and its
        # schedule; passwords hashed fast.
        container = build_container(settings, hasher=FakeHasher())
        runtime = Runtime(container)
        app = create_app(
            container, login_rate_limit=NO_LIMIT,
            on_startup=[runtime.start], on_shutdown=[runtime.stop],
        )  # fmt: skip
        try:
            async with app_client(app, lifespan=True) as client:
                admin = await container.register("admin@example.com", PASSWORD, role=Role.ADMIN)
                member = await container.register("member@example.com", PASSWORD)
                assert (await sign_in(client, admin.email)).status_code in (200, 302, 303)

                # A partial webhook: the drain claims it and asks YClients, which stalls.
                accepted = await post_webhook(client, 910_001)
                assert accepted.status_code == 200, accepted.text
                deadline = time.monotonic() + 10
                while yclients.connections == 0:
                    assert time.monotonic() < deadline, "the drain never asked YClients"
                    await asyncio.sleep(0.05)
                outage_started = time.monotonic()

                timings: dict[str, float] = {}
                for what, path in (
                    ("checkout", "/admin/checkout"),
                    ("today", "/admin/"),
                    ("member", f"/admin/members/{member.id}"),
                ):
                    response, timings[what] = await timed(client.get(path))
                    assert_console_page(response, timings[what], what)
                form = {
                    "amount": "100", "reason": "gift", "once": uuid.uuid4().hex,
                    "_csrf_token": await csrf_token(client),
                }  # fmt: skip
                response, timings["adjustment"] = await timed(
                    client.post(
                        f"/admin/members/{member.id}/points", data=form, follow_redirects=True
                    )
                )
                assert_console_page(response, timings["adjustment"], "adjustment")
                assert "Баллы изменены: 100,00" in response.text, response.text[:2000]

                # Replaying the event asks YClients whether its record is still there.
                replay = f"/admin/webhooks/{accepted.json()['event_id']}/replay"
                token = {"_csrf_token": await csrf_token(client)}
                answer = client.post(replay, data=token, follow_redirects=True)
                response, timings["replay"] = await timed(answer)
                assert_console_page(response, timings["replay"], "replay")

                response, timings["webhook"] = await timed(post_webhook(client, 910_002))
                assert timings["webhook"] < PROMPT, (timings, response.status_code, response.text)
                assert response.status_code == 200, response.text

                # All of it happened while the drain was still waiting on YClients.
                assert time.monotonic() - outage_started < RETRY_BUDGET, timings
                print(
                    "timings during the outage (s):", {k: round(v, 3) for k, v in timings.items()}
                )
        finally:
            await container.aclose()
