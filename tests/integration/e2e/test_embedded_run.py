"""The README's run command starts one process that answers /health, and the README's curl
flow (register → code → booking in "YClients" → completed → points) works against it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.e2e.conftest import ROOT, free_port

pytestmark = pytest.mark.slow


def _readme_flow() -> str:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- newcomer-flow -->\n```bash\n(.*?)```", readme, re.S)
    assert match, "README.md lost its newcomer flow block"
    return match.group(1)


def test_just_run_serves_the_readme_flow(tmp_path: Path) -> None:
    api_port, sim_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items()
           if not k.startswith(("YCLIENTS_", "SIMULATOR_", "REDIS_", "DATABASE_"))},
        "PORT": str(api_port),
        "SIMULATOR_PORT": str(sim_port),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/app.db",
        "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    log = (tmp_path / "run.log").open("wb")
    proc = subprocess.Popen(
        ["just", "run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        _wait_health(f"http://127.0.0.1:{api_port}/health", proc, tmp_path / "run.log")
        script = _readme_flow().replace("127.0.0.1:8000", f"127.0.0.1:{api_port}")
        script = script.replace("127.0.0.1:8100", f"127.0.0.1:{sim_port}")
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script], env=env, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        upcoming, loyalty = lines[-2], lines[-1]
        assert '"total":1' in upcoming.replace(" ", ""), upcoming
        # The salon's wall clock, as the simulator (YClients) sent it: not 09:00:00Z.
        assert '"appointment_datetime":"2030-01-15T12:00:00+03:00"' in upcoming, upcoming
        assert '"balance":"75.00"' in loyalty.replace(" ", ""), loyalty
        assert "yclients_simulator_started" in (tmp_path / "run.log").read_text()
        assert "dev_mode" in (tmp_path / "run.log").read_text()  # `run` says it is dev
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _wait_health(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 90  # `just run` first syncs the venv
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`just run` exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"`just run` never answered {url}:\n{log.read_text()[-3000:]}")
