"""One OS process of the request-budget tests: its own `YClientsClient` and its own
`RedisRequestBudget` against the shared Redis, sending requests for some salons.

Run as `python -m tests.integration.yclients.budget_process REDIS_URL PREFIX RATE N
COMPANIES [COMPANIES...]` (COMPANIES: comma-separated ids): the modules are imported once,
then one process is forked per COMPANIES argument (an import takes seconds on a busy host;
a fork does not). Each child says it is ready (INCR `PREFIX:ready`), waits for `PREFIX:go`,
then, for each of its companies at once, fetches a record N times in a row. The parent
prints one JSON list of `[company_id, time the request reached the "server"]` (a transport
in the child that answers 404, so the time is taken where YClients would count it)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time

import httpx
from redis.asyncio import Redis

from src.adapters.yclients.budget import RedisRequestBudget
from src.adapters.yclients.client import RetryPolicy, YClientsClient
from src.application.ports.request_budget import Priority


async def main(
    url: str, prefix: str, rate: float, count: int, companies: list[int]
) -> list[tuple[int, float]]:
    sent: list[tuple[int, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        company = int(request.url.path.split("/")[-2])
        sent.append((company, time.time()))
        return httpx.Response(404, json={"success": False, "data": None, "meta": {}})

    redis = Redis.from_url(url)
    budget = RedisRequestBudget(redis, prefix, rate)
    client = YClientsClient(
        "partner", "user", base_url="https://yc.test/api/v1", budget=budget,
        retry=RetryPolicy(attempts=1), transport=httpx.MockTransport(answer),
    )  # fmt: skip

    async def one_salon(company: int) -> None:
        for _ in range(count):
            await client.get_record(company, 1, priority=Priority.BACKGROUND)

    await redis.incr(f"{prefix}:ready")
    while not await redis.exists(f"{prefix}:go"):
        await asyncio.sleep(0.01)
    await asyncio.gather(*(one_salon(c) for c in companies))
    await client.aclose()
    await redis.aclose()
    return sent


def fork(url: str, prefix: str, rate: float, count: int, companies: list[int]) -> int:
    """A child process running `main`; returns the read end of the pipe it answers on."""
    read, write = os.pipe()
    if os.fork() == 0:
        os.close(read)
        status = 1
        try:
            sent = asyncio.run(main(url, prefix, rate, count, companies))
            with os.fdopen(write, "w") as out:
                out.write(json.dumps(sent))
            status = 0
        finally:
            os._exit(status)
    os.close(write)
    return read


if __name__ == "__main__":
    url, prefix, rate, count, *groups = sys.argv[1:]
    pipes = [
        fork(url, prefix, float(rate), int(count), [int(c) for c in group.split(",")])
        for group in groups
    ]
    sent = []
    for fd in pipes:
        with os.fdopen(fd) as answer:
            sent.extend(json.loads(answer.read() or "[]"))
    failed = sum(os.waitstatus_to_exitcode(os.wait()[1]) != 0 for _ in pipes)
    print(json.dumps(sent))
    sys.exit(1 if failed else 0)
