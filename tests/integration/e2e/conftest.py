"""End to end with real processes: the API, taskiq workers and scheduler, the simulator,
PostgreSQL and Redis. Each test gets its own database, Redis stream and ports."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.common import Proc, free_port, wait_http
from bench.webhook import drop_queue
from tests.integration.conftest import temporary_pg_database

ROOT = Path(__file__).resolve().parents[3]
VENV_BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
JWT_SECRET = "e2e-" + "x" * 40
WEBHOOK_SECRET = "e2e-webhook-secret-" + "w" * 20
COMPANY_ID = 873456
PARTNER, USER = "sim-partner-token", "sim-user-token"


@dataclass
class Stack:
    """The processes of one test and the settings they share."""

    tmp: Path
    env: dict[str, str]
    api_port: int
    sim_port: int
    engine: AsyncEngine
    procs: list[Proc] = field(default_factory=list)

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def sim(self) -> str:
        return f"http://127.0.0.1:{self.sim_port}"

    def start(self, name: str, *args: str, extra_env: dict[str, str] | None = None) -> Proc:
        log = self.tmp / f"{name}-{len(self.procs)}.log"
        popen = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def start_simulator(self) -> Proc:
        proc = self.start("simulator", sys.executable, "-m", "src.entrypoints.simulator")
        self.wait_http(f"{self.sim}/_control/stats", proc)
        return proc

    def start_api(self) -> Proc:
        proc = self.start("api", sys.executable, "-m", "src.entrypoints.cli", "serve")
        self.wait_http(f"{self.api}/health", proc)
        return proc

    def start_worker(self, name: str = "worker", **env: str) -> Proc:
        return self.start(
            name, str(VENV_BIN / "taskiq"), "worker", "src.entrypoints.worker:broker",
            "--workers", "1", "--no-configure-logging", extra_env=env,
        )  # fmt: skip

    def start_scheduler(self) -> Proc:
        return self.start(
            "scheduler", str(VENV_BIN / "taskiq"), "scheduler",
            "src.entrypoints.worker:scheduler", "--update-interval", "1",
        )  # fmt: skip

    def wait_http(self, url: str, proc: Proc, timeout: float = 30) -> None:
        wait_http(url, proc, timeout)

    def kill(self, proc: Proc, sig: int = signal.SIGKILL) -> None:
        if proc.popen.poll() is None:
            os.killpg(proc.popen.pid, sig)
            proc.popen.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.popen.poll() is None:
                os.killpg(proc.popen.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.popen.pid, signal.SIGKILL)

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(await conn.execute(text(sql), params))


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    queue = f"e2e-{uuid.uuid4().hex[:10]}"
    async with temporary_pg_database() as url:
        api_port, sim_port = free_port(), free_port()
        env = {
            **{
                k: v for k, v in os.environ.items() if not k.startswith(("YCLIENTS_", "SIMULATOR_"))
            },
            "APP_ENV": "prod",
            "DATABASE_URL": url,
            "REDIS_URL": REDIS_URL,
            "TASK_QUEUE_NAME": queue,
            "JWT_SECRET": JWT_SECRET,
            "YCLIENTS_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "YCLIENTS_PARTNER_TOKEN": PARTNER,
            "YCLIENTS_USER_TOKEN": USER,
            "YCLIENTS_BASE_URL": f"http://127.0.0.1:{sim_port}/api/v1",
            "YCLIENTS_COMPANY_IDS": str(COMPANY_ID),
            "YCLIENTS_RATE_LIMIT": "1000",
            # Every member of these flows registers from 127.0.0.1; members linked by email or
            # phone are trusted as verified (the verification flow is not what these test).
            "REGISTER_RATE_LIMIT_PER_HOUR": "10000",
            "CONTACT_VERIFICATION": "off",
            # Production rules: no codes in the log. Nothing listens on port 9 (the codes
            # are not what these flows test): emails fail, logged; no SMS gateway.
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": "9",
            "SMTP_FROM": "salon@example.com",
            "SMTP_STARTTLS": "false",
            "SMS_PROVIDER": "none",
            "YCLIENTS_RETRY_ATTEMPTS": "2",
            "YCLIENTS_RETRY_BUDGET_SECONDS": "3",
            "WEBHOOK_MAX_ATTEMPTS": "3",
            "WEBHOOK_RETRY_DELAY_SECONDS": "1",
            "TASK_REDELIVERY_SECONDS": "3",
            "INBOX_SWEEP_AFTER_SECONDS": "5",
            "INBOX_SWEEP_INTERVAL_SECONDS": "2",
            "SYNC_INTERVAL_MINUTES": "600",
            "HOST": "127.0.0.1",
            "PORT": str(api_port),
            "WEB_CONCURRENCY": "1",
            "LOG_FORMAT": "json",
            "SIMULATOR_PORT": str(sim_port),
            "SIMULATOR_WEBHOOK_URL": (
                f"http://127.0.0.1:{api_port}/api/v1/yclients/webhook?secret={WEBHOOK_SECRET}"
            ),
            "PYTHONUNBUFFERED": "1",
        }
        engine = create_async_engine(url)
        s = Stack(tmp_path, env, api_port, sim_port, engine)
        try:
            yield s
        finally:
            s.stop_all()
            await engine.dispose()
            drop_queue(queue, REDIS_URL)


@pytest.fixture
def redis_available() -> Iterator[None]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except Exception as exc:  # pragma: no cover - the machine runs Redis
        pytest.fail(f"Redis is not reachable at {REDIS_URL}: {exc}")
    yield
