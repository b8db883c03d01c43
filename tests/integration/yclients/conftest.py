"""The YClients simulator served over real HTTP on a loopback port, in this process.

One server per session (started once, state reset for every test), clients built with tiny
backoffs so retry tests stay fast."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import uvicorn

from src.adapters.yclients.client import RetryPolicy, YClientsClient
from src.entrypoints.simulator import SimulatorState, create_simulator_app

COMPANY_ID = 873456
FAST_RETRY = RetryPolicy(
    attempts=8, timeout=10.0, wait_initial=0.005, wait_max=0.05, wait_jitter=0.005,
    max_retry_after=2.0,
)  # fmt: skip


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run an ASGI app with uvicorn on a free loopback port; yields `http://127.0.0.1:PORT`."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(
        app, log_level="warning", lifespan="on", timeout_graceful_shutdown=1, access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises what stopped the server
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()


@dataclass
class Simulator:
    state: SimulatorState
    root: str  # http://127.0.0.1:PORT (control API at /_control)

    @property
    def base_url(self) -> str:
        return f"{self.root}/api/v1"

    def list_requests(self) -> list[Any]:
        return [r for r in self.state.requests if "/records/" in r.path]


@pytest.fixture(scope="session")
async def simulator_server() -> AsyncIterator[Simulator]:
    state = SimulatorState()
    async with serve(create_simulator_app(state)) as root:
        yield Simulator(state, root)


@pytest.fixture
async def sim(simulator_server: Simulator) -> AsyncIterator[Simulator]:
    """The shared simulator, emptied: no records, faults, requests or webhook target."""
    state = simulator_server.state
    state.reset()
    state.webhooks.configure(None, duplicate=False, delete_data="full")
    yield simulator_server
    await state.webhooks.drain()
    state.reset()


@pytest.fixture
async def make_client(sim: Simulator) -> AsyncIterator[Callable[..., YClientsClient]]:
    """Build clients against the simulator (no rate limit, fast retries unless given)."""
    clients: list[YClientsClient] = []

    def make(**kwargs: Any) -> YClientsClient:
        kwargs.setdefault("base_url", sim.base_url)
        kwargs.setdefault("rate_limit", None)
        kwargs.setdefault("retry", FAST_RETRY)
        kwargs.setdefault("timeout", 2.0)
        partner = kwargs.pop("partner_token", sim.state.partner_token)
        user = kwargs.pop("user_token", sim.state.user_token)
        client = YClientsClient(partner, user, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()
