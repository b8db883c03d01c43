"""The seed's two curl examples, run with curl as written, against the app on a real port
(only the host and YOUR_TOKEN change)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import uvicorn
from litestar import Litestar

from src.domain.booking import BookingStatus
from src.entrypoints.asgi import create_app
from tests.integration.http.conftest import NO_LIMIT, Api
from tests.paths import SEED

pytestmark = pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")


def seed_curls() -> list[str]:
    """The seed's curl commands, line continuations kept."""
    return re.findall(r"^curl .*?(?=\n```)", SEED.read_text(), flags=re.M | re.S)


@asynccontextmanager
async def serve(app: Litestar) -> AsyncIterator[str]:
    """The app under uvicorn on a free loopback port, in this event loop."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await task
        sock.close()


async def curl(command: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    process = await asyncio.create_subprocess_exec(
        "bash", "-c", command + ' -s -w "\\n%{http_code}"',
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await process.communicate()
    body, status = out.decode().rsplit("\n", 1)
    return int(status), json.loads(body)


async def test_the_seed_curl_examples_work_as_written(api: Api) -> None:
    sync_cmd, bookings_cmd = seed_curls()
    assert "sync-bookings" in sync_cmd and "upcoming_only=true" in bookings_cmd
    admin, member = await api.admin(), await api.member()
    api.gateway.put(api.record(email=member.user.email, status=BookingStatus.CONFIRMED))

    async with serve(create_app(api.container, login_rate_limit=NO_LIMIT)) as url:
        status, run = await curl(
            sync_cmd.replace("http://localhost:8000", url).replace("YOUR_TOKEN", admin.token)
        )
        assert status == 202, run
        assert run["status"] == "QUEUED" and run["run_id"] > 0
        # No broker in this test: the in-process queue carries the queued run out (a
        # second task for the same live run is left alone), so wait for it to finish.
        await api.container.sync(873456, "manual", run["run_id"])
        [done] = await api.container.sync_runs.wait([run["run_id"]], 30)
        assert done.status.value == "SUCCEEDED", done

        status, page = await curl(
            bookings_cmd.replace("http://localhost:8000", url).replace("YOUR_TOKEN", member.token)
        )
    assert status == 200, page
    assert [(b["status"], b["match_method"]) for b in page["items"]] == [("CONFIRMED", "email")]
