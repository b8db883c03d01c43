"""What every benchmark needs: processes on free loopback ports, throw-away databases,
percentiles, memory figures and a description of the machine."""

from __future__ import annotations

import math
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import pool, text

from src.adapters.db.engine import make_engine
from tests.integration.conftest import temporary_pg_database

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
COMPANY_ID = 873456
PARTNER_TOKEN, USER_TOKEN = "sim-partner-token", "sim-user-token"
WEBHOOK_SECRET = "bench-webhook-secret-" + "w" * 20
JWT_SECRET = "bench-jwt-" + "x" * 40
LOG_DIR = Path(tempfile.gettempdir()) / "yclients-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# Production rules refuse to log codes: mail goes to a closed port (a registration does not
# wait for it) and no SMS are sent. Every process or container a benchmark builds uses these.
QUIET_NOTIFIER = {
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": "9",
    "SMTP_FROM": "salon@example.com",
    "SMTP_STARTTLS": "false",
    "SMS_PROVIDER": "none",
}


def base_env(**extra: str) -> dict[str, str]:
    """The environment of a process we start: ours minus any YClients/simulator settings
    (and any .env file in the repo does not apply: processes run with cwd=ROOT, so we set
    everything that matters explicitly)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("YCLIENTS_", "SIMULATOR_", "DATABASE_", "REDIS_"))
    }
    env.update(
        APP_ENV="prod",
        JWT_SECRET=JWT_SECRET,
        YCLIENTS_WEBHOOK_SECRET=WEBHOOK_SECRET,
        YCLIENTS_COMPANY_IDS=str(COMPANY_ID),
        YCLIENTS_PARTNER_TOKEN=PARTNER_TOKEN,
        YCLIENTS_USER_TOKEN=USER_TOKEN,
        **QUIET_NOTIFIER,
        METRICS_TOKEN="bench-metrics-token",
        LOG_LEVEL="WARNING",
        LOG_FORMAT="json",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def output(self, tail: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-tail:]
        except OSError:
            return ""

    @property
    def pid(self) -> int:
        return self.popen.pid


@dataclass
class Procs:
    """Processes started by one benchmark; each in its own session, stopped by process id."""

    procs: list[Proc] = field(default_factory=list)

    def start(self, name: str, args: Sequence[str], env: dict[str, str]) -> Proc:
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = LOG_DIR / f"{name}-{os.getpid()}-{len(self.procs)}.log"
        popen = subprocess.Popen(
            list(args),
            cwd=ROOT,
            env=env,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        return proc

    def stop(self, proc: Proc, timeout: float = 15) -> None:
        if proc.popen.poll() is None:
            os.killpg(proc.popen.pid, signal.SIGTERM)
            try:
                proc.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(proc.popen.pid, signal.SIGKILL)
                proc.popen.wait(timeout=5)
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self.procs)):
            self.stop(proc)

    def __enter__(self) -> Procs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop_all()


def wait_http(url: str, proc: Proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited:\n{proc.output()}")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{proc.name} did not answer {url}:\n{proc.output()}")


def start_simulator(procs: Procs, port: int, **env: str) -> Proc:
    proc = procs.start(
        "simulator",
        [PYTHON, "-m", "src.entrypoints.simulator"],
        base_env(SIMULATOR_PORT=str(port), SIMULATOR_LOG_LEVEL="warning", **env),
    )
    wait_http(f"http://127.0.0.1:{port}/_control/stats", proc)
    return proc


def temporary_database(prefix: str = "bench") -> AbstractAsyncContextManager[str]:
    """A new PostgreSQL database migrated to head; dropped on exit (the tests' helper)."""
    return temporary_pg_database(prefix=prefix, admin_url=PG_ADMIN_URL)


def percentile(values: Iterable[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    data = sorted(values)
    if not data:
        return math.nan
    k = (len(data) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_total_mb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024)
    except OSError:
        pass
    return None


async def postgres_version() -> str:
    engine = make_engine(PG_ADMIN_URL, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return str((await conn.execute(text("SHOW server_version"))).scalar())
    finally:
        await engine.dispose()


async def machine() -> dict[str, Any]:
    return {
        "machine_cpu_count": os.cpu_count(),
        "machine_cpu_model": cpu_model(),
        "machine_memory_mb": memory_total_mb(),
        "machine_python": platform.python_version(),
        "machine_platform": platform.platform(),
        "machine_postgres": await postgres_version(),
    }


def ratio(value: float, ceiling: float) -> float:
    return round(value / ceiling, 3) if ceiling else math.nan
