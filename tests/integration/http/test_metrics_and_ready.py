"""`/metrics` behind a bearer token (open without one in dev only); `/ready` keeps one broker
connection."""

from __future__ import annotations

import os

import pytest
from redis.asyncio.connection import Connection

from src.entrypoints.asgi import create_app
from src.entrypoints.bootstrap import Container
from src.entrypoints.http.health import redis_check
from tests.integration.http.conftest import app_client, make_settings
from tests.integration.http.helpers import assert_error

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
TOKEN = "m" * 40


async def test_metrics_open_to_anyone_unless_metrics_token_is_required(
    container: Container, pg_url: str
) -> None:
    settings = make_settings(pg_url, METRICS_TOKEN=TOKEN)
    async with app_client(create_app(container, settings=settings)) as client:
        assert_error(await client.get("/metrics"), 401)
        for wrong in (f"Bearer {TOKEN[:-1]}", TOKEN, f"Basic {TOKEN}", "Bearer "):
            assert_error(await client.get("/metrics", headers={"Authorization": wrong}), 401)
        ok = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and "yclients_webhooks_received_total" in ok.text


async def test_metrics_without_metrics_token_stay_open_in_dev(
    container: Container, pg_url: str
) -> None:
    async with app_client(create_app(container, settings=make_settings(pg_url))) as client:
        assert (await client.get("/metrics")).status_code == 200


async def test_metrics_answer_401_outside_dev_without_a_metrics_token(
    container: Container, pg_url: str
) -> None:
    """Issue 20, item 9: with METRICS_TOKEN unset a production /metrics was open to anyone."""
    settings = make_settings(pg_url, APP_ENV="prod")
    async with app_client(create_app(container, settings=settings)) as client:
        closed = await client.get("/metrics")
        assert_error(closed, 401)
        assert "METRICS_TOKEN" in closed.text
        guessed = await client.get("/metrics", headers={"Authorization": "Bearer "})
        assert_error(guessed, 401)
    settings = make_settings(pg_url, APP_ENV="prod", METRICS_TOKEN=TOKEN)
    async with app_client(create_app(container, settings=settings)) as client:
        ok = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200 and "yclients_webhooks_received_total" in ok.text


async def test_ready_opens_a_new_broker_connection_per_probe(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened = 0
    connect = Connection._connect

    async def counting(self: Connection) -> None:
        nonlocal opened
        opened += 1
        await connect(self)

    monkeypatch.setattr(Connection, "_connect", counting)
    check = redis_check(REDIS_URL)
    try:
        for _ in range(5):
            await check()
        assert opened == 1
    finally:
        await check.aclose()  # type: ignore[attr-defined]
