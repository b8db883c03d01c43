"""Browser tests of the admin console: Debian's Chromium (driven by pytest-playwright)
against the real API process on PostgreSQL, with the YClients simulator beside it.

Playwright's own browser download cannot work here, so the browser is the `chromium`
package's binary. When it is missing or cannot start, these tests FAIL saying how to
install it: they are never skipped."""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import pool, text

from bench.common import free_port
from src.adapters.db.engine import database_url, make_engine
from src.adapters.db.migrate import upgrade
from tests.integration.conftest import PG_ADMIN_URL
from tests.integration.e2e.conftest import ROOT, Stack

T = TypeVar("T")
INSTALL_HINT = (
    "the console's browser tests need Debian's Chromium: `apt-get install -y chromium` "
    "(as root; .ci/run does this when it is missing). Never `playwright install`."
)
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--headless",
    "--disable-gpu",
    # Keep it off the network: no updates, sync, component downloads or first-run calls.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = ROOT / "docs" / "console"
WEBHOOK_SECRET = "console-webhook-secret-0123456789"
PASSWORD = "console-pass-123"


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a loop of its own (these tests are synchronous:
    Playwright's sync API refuses to run inside an event loop)."""
    with ThreadPoolExecutor(1) as pool_:
        return pool_.submit(asyncio.run, coro).result()


# pytest-playwright's browser fixtures, module-scoped here: the sync API runs an event loop of
# its own in this thread, and a session-long one would stop every async test collected after
# these (pytest-asyncio's loop "cannot run while another loop is running").
@pytest.fixture(scope="module")
def browser_type_launch_args() -> dict[str, Any]:
    path = shutil.which("chromium")
    if path is None:
        pytest.fail(f"chromium is not installed: {INSTALL_HINT}", pytrace=False)
    return {"executable_path": path, "args": CHROMIUM_ARGS, "headless": True}


@pytest.fixture(scope="module")
def playwright(_pw_api_request_contexts: Any) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    if _pw_api_request_contexts:
        _pw_api_request_contexts.instrument(pw)
    yield pw
    pw.stop()


@pytest.fixture(scope="module")
def browser_type(playwright: Any, browser_name: str) -> Any:
    return getattr(playwright, browser_name)


@pytest.fixture(scope="module")
def launch_browser(browser_type_launch_args: dict[str, Any], browser_type: Any) -> Any:
    def launch(**kwargs: Any) -> Any:
        return browser_type.launch(**{**browser_type_launch_args, **kwargs})

    return launch


@pytest.fixture(scope="module")
def browser(launch_browser: Any) -> Iterator[Any]:
    try:
        browser = launch_browser()
    except Exception as exc:
        pytest.fail(f"Chromium could not start ({exc}); {INSTALL_HINT}", pytrace=False)
    yield browser
    browser.close()


@pytest.fixture
def browser_context_args() -> dict[str, Any]:
    return {"viewport": {"width": 1280, "height": 900}, "locale": "ru-RU",
            "timezone_id": "Europe/Moscow"}  # fmt: skip


@dataclass
class Console:
    """The running app and simulator, and helpers to set the scene over HTTP and SQL."""

    stack: Stack
    url: str
    http: httpx.Client

    @property
    def admin_url(self) -> str:
        return f"{self.stack.api}/admin"

    def sql(self, statement: str, **params: Any) -> list[Any]:
        async def go() -> list[Any]:
            engine = make_engine(self.url, poolclass=pool.NullPool)
            try:
                async with engine.begin() as conn:
                    result = await conn.execute(text(statement), params)
                    return list(result) if result.returns_rows else []
            finally:
                await engine.dispose()

        return run(go())

    def register(self, email: str, *, admin: bool = False, **extra: str) -> int:
        r = self.http.post(
            f"{self.stack.api}/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, **extra},
        )
        assert r.status_code == 201, r.text
        user_id = int(r.json()["id"])
        if admin:
            self.sql("UPDATE users SET role = 'admin' WHERE id = :id", id=user_id)
        return user_id

    def token(self, email: str) -> dict[str, str]:
        """The JSON API's Bearer header for an account (what the member's app would send)."""
        r = self.http.post(
            f"{self.stack.api}/api/v1/auth/login", json={"email": email, "password": PASSWORD}
        )
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    def record(
        self,
        record_id: int,
        *,
        email: str,
        price: int,
        completed: bool,
        comment: str = "",
        at: str = "2030-01-15T12:00:00+03:00",
    ) -> None:
        """A visit in "YClients" (the simulator), which sends its webhooks to the app."""
        body = {
            "id": record_id, "company_id": 873456, "comment": comment,
            "client": {"name": "Гость", "phone": "", "email": email},
            "services": [{"title": "Маникюр", "cost": price}],
            "datetime": at,
        }  # fmt: skip
        r = self.http.post(f"{self.stack.sim}/_control/records", json=body)
        assert r.status_code == 201, r.text
        if completed:
            self.complete(record_id)

    def complete(self, record_id: int) -> None:
        """The visit happened: YClients marks it so and sends the webhook."""
        r = self.http.patch(
            f"{self.stack.sim}/_control/records/873456/{record_id}", json={"attendance": 1}
        )
        assert r.status_code == 200, r.text

    def wait_sql(self, statement: str, timeout: float = 30, **params: Any) -> list[Any]:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = self.sql(statement, **params)
            if rows:
                return rows
            time.sleep(0.2)
        raise TimeoutError(f"nothing from: {statement} {params}")


async def _create_database() -> str:
    """A new PostgreSQL database migrated to head (like `temporary_pg_database`, whose
    context cannot span the separate loops of these synchronous tests)."""
    name = f"console_{uuid.uuid4().hex[:16]}"
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    url = database_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    await upgrade(url, "head")
    return url


async def _drop_database(url: str) -> None:
    name = database_url(url).database
    admin = make_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=pool.NullPool)
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """The API (`cli serve`, tasks in process: no REDIS_URL) on a fresh PostgreSQL database,
    and the simulator sending it webhooks."""
    url = run(_create_database())
    api_port, sim_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items()
           if not k.startswith(("YCLIENTS_", "SIMULATOR_", "REDIS_", "ADMIN_"))},
        "APP_ENV": "dev",  # plain http on 127.0.0.1: the session cookie is not Secure here
        "DATABASE_URL": url,
        "JWT_SECRET": "console-" + "x" * 40,
        "YCLIENTS_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "YCLIENTS_PARTNER_TOKEN": "sim-partner-token",
        "YCLIENTS_USER_TOKEN": "sim-user-token",
        "YCLIENTS_BASE_URL": f"http://127.0.0.1:{sim_port}/api/v1",
        "YCLIENTS_COMPANY_IDS": "873456",
        "YCLIENTS_RATE_LIMIT": "1000",
        "SYNC_INTERVAL_MINUTES": "600",
        "REGISTER_RATE_LIMIT_PER_HOUR": "1000",  # every test registers its own people
        "HOST": "127.0.0.1",
        "PORT": str(api_port),
        "LOG_FORMAT": "json",
        "SIMULATOR_PORT": str(sim_port),
        "SIMULATOR_WEBHOOK_URL": (
            f"http://127.0.0.1:{api_port}/api/v1/yclients/webhook?secret={WEBHOOK_SECRET}"
        ),
        "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    tmp = tmp_path_factory.mktemp(f"console-{uuid.uuid4().hex[:6]}")
    stack = Stack(tmp, env, api_port, sim_port, None)  # type: ignore[arg-type]
    try:
        # Generous waits: the machine is small and shared.
        sim = stack.start("simulator", sys.executable, "-m", "src.entrypoints.simulator")
        stack.wait_http(f"{stack.sim}/_control/stats", sim, timeout=120)
        api = stack.start("api", sys.executable, "-m", "src.entrypoints.cli", "serve")
        stack.wait_http(f"{stack.api}/health", api, timeout=120)
        with httpx.Client(timeout=10) as http:
            yield Console(stack, url, http)
    finally:
        stack.stop_all()
        run(_drop_database(url))


def shot(page: Any, name: str) -> None:
    """A screenshot of the page for the README, under docs/console/ (`UPDATE_SCREENSHOTS=1`;
    otherwise into the test's temporary directory, so a test run leaves the tree clean)."""
    target = SCREENSHOTS if os.environ.get("UPDATE_SCREENSHOTS") == "1" else Path(
        os.environ.get("PYTEST_TMP_SCREENSHOTS", "/tmp/console-screenshots")
    )  # fmt: skip
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)
