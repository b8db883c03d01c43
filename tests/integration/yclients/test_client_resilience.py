"""`YClientsClient` against a misbehaving simulator: retries, budgets, rate limit, auth."""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import date
from urllib.parse import parse_qs

import pytest

from src.adapters.yclients.client import RetryPolicy, YClientsClient
from src.application.errors import GatewayError, TokensRejected
from src.application.ports.yclients import RecordPage
from src.entrypoints.simulator import FaultConfig, NewRecord
from tests.integration.yclients.conftest import COMPANY_ID, FAST_RETRY, Simulator

START, END = date(2026, 11, 1), date(2026, 11, 30)
MakeClient = Callable[..., YClientsClient]
SERVER_ERRORS = {"500": 1.0, "502": 1.0, "503": 1.0}


async def test_window_survives_30_percent_failures(sim: Simulator, make_client: MakeClient) -> None:
    """429 with and without Retry-After, 5xx, responses slower than the client's timeout and
    cut-off JSON, on 30% of requests: the window still arrives whole, each record once."""
    ids = sim.state.generate(COMPANY_ID, 1050, seed=7, start=START, days=30)
    # Seed 48 puts every kind of fault among the first requests (the draws are seeded).
    sim.state.set_faults(FaultConfig(seed=48, rate=0.3, slow_seconds=0.6, retry_after=0.05))
    client = make_client(page_size=200, timeout=0.25)

    started = time.monotonic()
    records = [
        r async for page in client.record_pages(COMPANY_ID, START, END) for r in page.records
    ]
    elapsed = time.monotonic() - started

    assert sorted(r.record_id for r in records) == ids  # complete, and nothing twice
    requests = sim.list_requests()
    faults = Counter(r.fault for r in requests if r.fault)
    assert {"429", "429_retry_after", "slow", "malformed"} <= set(faults)  # a real mix
    assert {"500", "502", "503"} & set(faults)
    assert client.requests_made == len(requests) > 6
    # Within the retry budget: no page needed more attempts than allowed.
    attempts: dict[str, int] = defaultdict(int)
    for r in requests:
        attempts[parse_qs(r.query)["page"][0]] += 1
    assert sorted(attempts) == [str(p) for p in range(1, 7)]
    assert max(attempts.values()) <= FAST_RETRY.attempts
    assert elapsed < FAST_RETRY.timeout


async def test_all_requests_failing_gives_up_with_a_clear_error(
    sim: Simulator, make_client: MakeClient
) -> None:
    sim.state.generate(COMPANY_ID, 300, seed=7, start=START, days=30)
    sim.state.set_faults(FaultConfig(rate=1.0, kinds={**SERVER_ERRORS, "429": 1.0}))
    client = make_client(retry=RetryPolicy(attempts=4, wait_initial=0.005, wait_jitter=0.0))
    pages: list[RecordPage] = []

    with pytest.raises(GatewayError) as caught:
        async for page in client.record_pages(COMPANY_ID, START, END):
            pages.append(page)

    assert pages == []  # nothing passed off as a result
    message = str(caught.value)
    assert f"records page 1 of company {COMPANY_ID}" in message
    assert "after 4 attempt(s)" in message
    assert f"/records/{COMPANY_ID}?" in message
    assert "HTTP 5" in message or "HTTP 429" in message
    assert client.requests_made == len(sim.list_requests()) == 4


async def test_total_time_budget_caps_retries(sim: Simulator, make_client: MakeClient) -> None:
    sim.state.set_faults(FaultConfig(rate=1.0, kinds={"503": 1.0}))
    client = make_client(
        retry=RetryPolicy(attempts=1000, timeout=0.3, wait_initial=0.02, wait_max=0.05)
    )

    started = time.monotonic()
    with pytest.raises(GatewayError, match="HTTP 503"):
        await client.get_record(COMPANY_ID, 1)

    assert time.monotonic() - started < 1.5
    assert 2 <= client.requests_made < 50


async def test_failure_mid_window_aborts_the_iteration(
    sim: Simulator, make_client: MakeClient
) -> None:
    sim.state.generate(COMPANY_ID, 1050, seed=7, start=START, days=30)
    client = make_client(retry=RetryPolicy(attempts=3, wait_initial=0.005), prefetch=0)
    pages: list[RecordPage] = []

    with pytest.raises(GatewayError, match="records page 2"):
        async for page in client.record_pages(COMPANY_ID, START, END):
            pages.append(page)
            sim.state.set_faults(FaultConfig(rate=1.0, kinds={"502": 1.0}))

    assert len(pages) == 1  # the caller saw one page and then the error, never a quiet end


async def test_prefetched_page_failure_surfaces_too(
    sim: Simulator, make_client: MakeClient
) -> None:
    sim.state.generate(COMPANY_ID, 1050, seed=7, start=START, days=30)
    sim.state.set_faults(FaultConfig(rate=1.0, kinds={"500": 1.0}))
    client = make_client(retry=RetryPolicy(attempts=2, wait_initial=0.005))

    with pytest.raises(GatewayError):
        async for _ in client.record_pages(COMPANY_ID, START, END):
            pass


async def test_abandoned_iteration_cancels_the_prefetch(
    sim: Simulator, make_client: MakeClient
) -> None:
    sim.state.generate(COMPANY_ID, 1050, seed=7, start=START, days=30)
    client = make_client(timeout=5.0)
    pages = client.record_pages(COMPANY_ID, START, END)

    first = await anext(pages)
    sim.state.set_faults(FaultConfig(rate=1.0, kinds={"slow": 1.0}, slow_seconds=0.5))
    await asyncio.sleep(0.1)  # pages 2 and 3 (prefetch=2) now wait at the server
    started = time.monotonic()
    await pages.aclose()

    assert len(first.records) == 200
    assert time.monotonic() - started < 0.3  # closing did not wait for them
    assert client.requests_made == 3
    assert len(sim.list_requests()) == 3


async def test_retry_after_is_honoured(sim: Simulator, make_client: MakeClient) -> None:
    sim.state.set_faults(FaultConfig(rate=1.0, kinds={"429_retry_after": 1.0}, retry_after=0.4))
    client = make_client(retry=RetryPolicy(attempts=2, wait_initial=0.001, wait_jitter=0.0))

    with pytest.raises(GatewayError, match="HTTP 429"):
        await client.get_record(COMPANY_ID, 1)

    first, second = sim.state.requests
    assert second.at - first.at >= 0.4  # the server's wait, not our 1 ms backoff


async def test_retry_after_longer_than_allowed_gives_up_at_once(
    sim: Simulator, make_client: MakeClient
) -> None:
    sim.state.set_faults(FaultConfig(rate=1.0, kinds={"429_retry_after": 1.0}, retry_after=120))
    client = make_client(retry=RetryPolicy(attempts=5, max_retry_after=60.0))

    started = time.monotonic()
    with pytest.raises(GatewayError, match="429"):
        await client.get_record(COMPANY_ID, 1)

    assert time.monotonic() - started < 1.0
    assert client.requests_made == 1


async def test_rate_limit_spreads_a_burst_of_50(sim: Simulator, make_client: MakeClient) -> None:
    record = sim.state.create_record(NewRecord(company_id=COMPANY_ID, webhook=False))
    rate = 20
    client = make_client(rate_limit=rate)

    started = time.monotonic()
    results = await asyncio.gather(
        *(client.get_record(COMPANY_ID, record["id"]) for _ in range(50))
    )
    elapsed = time.monotonic() - started

    assert all(r is not None for r in results)
    times = sorted(r.at for r in sim.state.requests)
    assert len(times) == 50
    # Measured where YClients would count: no one-second window holds more than `rate`.
    busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
    assert busiest <= rate
    assert elapsed >= 49 / rate


async def test_rejected_tokens_are_not_retried(sim: Simulator, make_client: MakeClient) -> None:
    client = make_client(user_token="rotated-user-token")

    with pytest.raises(TokensRejected) as caught:
        async for _ in client.record_pages(COMPANY_ID, START, END):
            pass

    assert "YClients rejected the partner/user tokens" in str(caught.value)
    assert "Partner ID not specified" in str(caught.value)  # YClients' own message
    assert client.requests_made == 1
    assert [r.status for r in sim.state.requests] == [401]


async def test_missing_partner_token_is_rejected_too(
    sim: Simulator, make_client: MakeClient
) -> None:
    client = make_client(partner_token="wrong", user_token="")

    with pytest.raises(TokensRejected):
        await client.get_record(COMPANY_ID, 1)

    assert client.requests_made == 1


async def test_connection_refused_is_retried_then_reported(make_client: MakeClient) -> None:
    client = make_client(
        base_url="http://127.0.0.1:9/api/v1",  # discard port: nothing listens
        retry=RetryPolicy(attempts=3, wait_initial=0.001, wait_jitter=0.0),
    )

    with pytest.raises(GatewayError, match="connection failed") as caught:
        await client.get_record(COMPANY_ID, 1)

    assert "after 3 attempt(s)" in str(caught.value)
    assert client.requests_made == 3
