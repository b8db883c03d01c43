"""Behind a reverse proxy (issue 20, item 9): with FORWARDED_ALLOW_IPS naming the proxy, the
per-address registration limit counts the client in X-Forwarded-For; without it the header is
ignored (a client could pick its own address), so everyone counts as the proxy. Served by
uvicorn with the options `just serve` / `just run` use."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
import uvicorn
from litestar import Litestar

from src.entrypoints.asgi import create_app
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.proxy import proxy_options
from src.entrypoints.settings import Settings
from tests.integration.http.conftest import NO_LIMIT, PASSWORD, make_settings

PROXY = "127.0.0.1"  # the test's client connects from here, as a proxy on this host would


@asynccontextmanager
async def served(app: Litestar, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((PROXY, 0))
    config = uvicorn.Config(
        app, log_level="warning", lifespan="off", access_log=False, **proxy_options(settings)
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        async with httpx.AsyncClient(base_url=f"http://{PROXY}:{sock.getsockname()[1]}") as client:
            yield client
    finally:
        server.should_exit = True
        await task
        sock.close()


async def _register(client: httpx.AsyncClient, n: int, forwarded_for: str) -> int:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": f"client{n}@example.com", "password": PASSWORD},
        headers={"X-Forwarded-For": forwarded_for},
    )
    return response.status_code


@pytest.mark.parametrize(
    ("forwarded_allow_ips", "expected"),
    [
        # One registration per address an hour: two clients behind the proxy each get theirs,
        # the first one's second try is refused.
        (PROXY, [201, 201, 429]),
        # Not set: both are the proxy's address, the second client is refused.
        (None, [201, 429, 429]),
    ],
)
async def test_forwarded_allow_ips_makes_the_registration_limit_per_client_behind_a_proxy(
    container: Container, pg_url: str, forwarded_allow_ips: str | None, expected: list[int]
) -> None:
    settings = make_settings(pg_url, FORWARDED_ALLOW_IPS=forwarded_allow_ips)
    app = create_app(
        container, settings=settings, login_rate_limit=NO_LIMIT, register_rate_limit=("hour", 1)
    )
    async with served(app, settings) as client:
        statuses = [
            await _register(client, 1, "203.0.113.7"),
            await _register(client, 2, "198.51.100.9"),
            await _register(client, 3, "203.0.113.7"),
        ]
    assert statuses == expected
