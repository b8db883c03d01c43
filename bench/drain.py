"""Webhook backlog drain: one worker process against a backlog, next to the sync's records/s
measured in the same run.

A backlog of N events (10,000; quick: 2,000) is accepted by the API (Redis broker, one web
worker) while no worker runs, exactly as after an outage: every event is stored and its task
waits in the stream. Then one `taskiq worker --workers 1` process starts. The inbox is polled
every 50 ms; the drain rate counts from the first poll that sees a processed event (so the
worker's start-up is not timed) to the poll that sees none left PENDING. Each event is a
completed visit carrying a member's code, each a different record, so every event ends in one
ledger entry: the suite also checks that (exactly once). The worker's CPU (its process and
children) over the same interval gives CPU milliseconds per event.

The ceiling is the sync of 10,000 simulated records into a fresh database (bench/sync.py's
child process, real client against the simulator): `event_drain_ratio` = drain / sync rate.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench import loadgen, sync
from bench.common import (
    PYTHON,
    VENV_BIN,
    WEBHOOK_SECRET,
    Procs,
    free_port,
    ratio,
    start_simulator,
    temporary_database,
    wait_http,
)
from bench.receipt import add_member
from bench.webhook import api_env, count_rows, drop_queue, webhook_body
from src.domain.client_codes import comment_line, generate_client_code

POLL = 0.05
POST_CONNECTIONS = 32
DRAIN_TIMEOUT = 900.0
FIRST_RECORD_ID = 700_000_001
SYNC_RECORDS = 10_000


def _tree_cpu_seconds(pid: int) -> float:
    """CPU (user + system) of a process and its living descendants, from /proc."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError, IndexError):
            continue
    return total


async def post_backlog(hook: str, template: str, n: int) -> None:
    """POST n events (each its own record id) over a few keep-alive connections."""
    limits = httpx.Limits(max_connections=POST_CONNECTIONS)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(FIRST_RECORD_ID + i)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def sender() -> None:
            while not queue.empty():
                record_id = queue.get_nowait()
                body = template.replace(loadgen.ID_MARK, str(record_id))
                r = await client.post(hook, content=body,
                                      headers={"Content-Type": "application/json"})  # fmt: skip
                r.raise_for_status()

        await asyncio.gather(*(sender() for _ in range(POST_CONNECTIONS)))


async def sync_rate(records: int, log: Any) -> dict[str, Any]:
    """The sync's records/s for `records` records (the ceiling of this suite)."""
    with Procs() as procs:
        port = free_port()
        start_simulator(procs, port)
        sim = f"http://127.0.0.1:{port}"
        await sync.prepare_simulator(sim, records)
        members = await sync.collect_members(f"{sim}/api/v1")
        async with temporary_database("bench_drain_sync") as url:
            await sync.insert_members(url, members)
            first = sync.child("sync", f"{sim}/api/v1", url)
    rps = sync.rate(first)
    log(f"sync reference: {rps:.0f} records/s ({records} records)")
    return {"event_drain_sync_rps": round(rps), "event_drain_sync_records": records}


async def drain(events: int, log: Any) -> dict[str, Any]:
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    code = generate_client_code()
    template = webhook_body(comment=comment_line(code), attendance=1)
    pending_sql = "SELECT count(*) FROM webhook_events WHERE state = 'PENDING'"
    try:
        async with temporary_database("bench_drain") as url:
            await add_member(url, code)
            with Procs() as procs:
                port = free_port()
                env = api_env(url, port, queue)
                api = procs.start("api", [PYTHON, "-m", "src.entrypoints.cli", "serve"], env)
                wait_http(f"http://127.0.0.1:{port}/health", api)
                hook = f"http://127.0.0.1:{port}/api/v1/yclients/webhook?secret={WEBHOOK_SECRET}"
                began = time.monotonic()
                await post_backlog(hook, template, events)
                posted_s = time.monotonic() - began
                stored = await count_rows(url, "SELECT count(*) FROM webhook_events")
                log(f"backlog: {stored} events accepted in {posted_s:.1f} s, no worker running")
                worker = procs.start(
                    "drain-worker",
                    [str(VENV_BIN / "taskiq"), "worker", "src.entrypoints.worker:broker",
                     "--workers", "1", "--no-configure-logging"],
                    env,
                )  # fmt: skip
                started = time.monotonic()
                first_seen: tuple[float, int, float] | None = None
                pending = events
                while time.monotonic() - started < DRAIN_TIMEOUT:
                    if worker.popen.poll() is not None:
                        raise RuntimeError(f"the worker exited:\n{worker.output()}")
                    pending = await count_rows(url, pending_sql)
                    now = time.monotonic()
                    if first_seen is None and pending < events:
                        first_seen = (now, events - pending, _tree_cpu_seconds(worker.pid))
                    if pending == 0:
                        break
                    await asyncio.sleep(POLL)
                ended, cpu_end = time.monotonic(), _tree_cpu_seconds(worker.pid)
                processed = await count_rows(
                    url, "SELECT count(*) FROM webhook_events WHERE state = 'PROCESSED'"
                )
                entries = await count_rows(url, "SELECT count(*) FROM loyalty_transactions")
    finally:
        drop_queue(queue)
    if first_seen is None:
        raise RuntimeError(f"no event processed within {DRAIN_TIMEOUT:g} s")
    t0, done0, cpu0 = first_seen
    drained = events - pending - done0
    with_startup = drained <= 0  # a backlog drained before the first poll (a tiny one)
    if with_startup:
        t0, drained, cpu0 = started, events - pending, 0.0
    seconds = ended - t0
    out = {
        "event_drain_events": events,
        "event_drain_processed": processed,
        "event_drain_pending_left": pending,
        "event_drain_ledger_entries": entries,
        "event_drain_exactly_once": entries == processed == events,
        "event_drain_seconds": round(seconds, 2),
        "event_drain_first_poll_s": round(first_seen[0] - started, 2),
        "event_drain_includes_startup": with_startup,
        "event_drain_per_s": round(drained / seconds, 1) if seconds > 0 else None,
        "event_drain_cpu_ms_per_event": round(1000 * (cpu_end - cpu0) / drained, 2)
        if drained
        else None,
        "event_drain_backlog_post_s": round(posted_s, 1),
    }
    log(
        f"drain: {out['event_drain_per_s']} events/s by one worker process "
        f"({drained} events in {seconds:.1f} s after the first was seen, "
        f"{out['event_drain_cpu_ms_per_event']} ms CPU per event); {processed}/{events} "
        f"processed, {entries} ledger entries"
    )
    return out


async def run(
    quick: bool, log: Any = print, *, events: int | None = None, sync_records: int = SYNC_RECORDS
) -> dict[str, Any]:
    """The drain suite; `events` and `sync_records` override the sizes (a test runs small
    ones)."""
    n = events if events is not None else (2_000 if quick else 10_000)
    out = await sync_rate(sync_records, log)
    out.update(await drain(n, log))
    rate = out["event_drain_per_s"]
    out["event_drain_ratio"] = ratio(rate, out["event_drain_sync_rps"]) if rate else None
    log(f"drain / sync: {out['event_drain_ratio']}")
    return out
