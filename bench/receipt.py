"""Webhook receipt → points credited, through the real processes: the API (Redis broker), one
taskiq worker process, PostgreSQL and Redis.

A member with a client code exists; each event is a completed visit (attendance 1) whose
comment carries that code, with its own record id. Events are posted at a steady rate; a
poller reads new ledger rows every 10 ms. The latency of an event is from just before its
POST to the poll that first sees its ledger row (so it includes up to one poll interval).
The suite runs at 50 events/s (keys `receipt_*`) and again, on fresh processes and a fresh
database, at 200 events/s (keys `receipt_*_at_200`).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import pool, text

from bench import loadgen
from bench.common import (
    PYTHON,
    VENV_BIN,
    WEBHOOK_SECRET,
    Procs,
    free_port,
    percentile,
    temporary_database,
    wait_http,
)
from bench.webhook import api_env, drop_queue, webhook_body
from src.adapters.db.engine import make_engine
from src.domain.client_codes import comment_line, generate_client_code

RATES = (50.0, 200.0)  # events per second; the first one's keys carry no suffix
POLL = 0.010
FIRST_RECORD_ID = 800_000_001


async def add_member(url: str, code: str) -> None:
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (email, password_hash, role, unique_code, created_at, "
                    "updated_at) VALUES ('member@bench.example', 'x', 'user', :code, :now, :now)"
                ),
                {"code": code, "now": datetime.now(UTC)},
            )
    finally:
        await engine.dispose()


class LedgerWatcher:
    """Polls the ledger; records when each record id's first entry was seen."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url, poolclass=pool.NullPool)
        self.seen: dict[int, float] = {}
        self._last_id = 0

    async def poll_once(self) -> None:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT t.id, b.yclients_record_id FROM loyalty_transactions t "
                    "JOIN bookings b ON b.id = t.booking_id WHERE t.id > :last ORDER BY t.id"
                ),
                {"last": self._last_id},
            )
            now = time.monotonic()
            for entry_id, record_id in rows:
                self._last_id = max(self._last_id, entry_id)
                self.seen.setdefault(record_id, now)

    async def until(self, record_ids: set[int], seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not record_ids <= self.seen.keys() and time.monotonic() < deadline:
            await self.poll_once()
            await asyncio.sleep(POLL)

    async def run_forever(self) -> None:
        while True:
            await self.poll_once()
            await asyncio.sleep(POLL)

    async def aclose(self) -> None:
        await self.engine.dispose()


async def run(quick: bool, log: Any = print) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rate in RATES:
        suffix = "" if rate == RATES[0] else f"_at_{rate:g}"
        measured = await measure(rate, 200 if quick else 1000, log)
        out.update({f"{key}{suffix}": value for key, value in measured.items()})
    return out


async def measure(rate: float, events: int, log: Any = print) -> dict[str, Any]:
    """`events` completed visits posted at `rate` per second; latency to their points."""
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    code = generate_client_code()
    template = webhook_body(comment=comment_line(code), attendance=1)
    sent: dict[int, float] = {}
    try:
        async with temporary_database("bench_receipt") as url:
            await add_member(url, code)
            with Procs() as procs:
                port = free_port()
                env = api_env(url, port, queue)
                api = procs.start("api", [PYTHON, "-m", "src.entrypoints.cli", "serve"], env)
                procs.start(
                    "worker",
                    [str(VENV_BIN / "taskiq"), "worker", "src.entrypoints.worker:broker",
                     "--workers", "1", "--no-configure-logging"],
                    env,
                )  # fmt: skip
                wait_http(f"http://127.0.0.1:{port}/health", api)
                hook = f"http://127.0.0.1:{port}/api/v1/yclients/webhook?secret={WEBHOOK_SECRET}"
                watcher = LedgerWatcher(url)
                try:
                    async with httpx.AsyncClient(timeout=30) as client:

                        async def post(record_id: int) -> None:
                            body = template.replace(loadgen.ID_MARK, str(record_id))
                            r = await client.post(
                                hook, content=body, headers={"Content-Type": "application/json"}
                            )
                            r.raise_for_status()

                        # Warm-up: the worker is up and the whole path has run once.
                        await post(FIRST_RECORD_ID - 1)
                        await watcher.until({FIRST_RECORD_ID - 1}, 60)
                        if FIRST_RECORD_ID - 1 not in watcher.seen:
                            raise RuntimeError("no points after the warm-up event within 60 s")
                        poller = asyncio.create_task(watcher.run_forever())
                        started = time.monotonic()
                        posts = []
                        for n in range(events):
                            due = started + n / rate
                            await asyncio.sleep(max(0.0, due - time.monotonic()))
                            record_id = FIRST_RECORD_ID + n
                            sent[record_id] = time.monotonic()
                            posts.append(asyncio.create_task(post(record_id)))
                        await asyncio.gather(*posts)
                        poller.cancel()
                        await watcher.until(set(sent), 60)
                        entries = await _count_entries(watcher)
                finally:
                    await watcher.aclose()
    finally:
        drop_queue(queue)
    latencies = [(watcher.seen[r] - t) * 1000 for r, t in sent.items() if r in watcher.seen]
    out = {
        "receipt_events": events,
        "receipt_rate_per_s": rate,
        "receipt_credited": len(latencies),
        "receipt_ledger_entries": entries - 1,  # minus the warm-up event's
        "receipt_to_points_p50_ms": round(percentile(latencies, 50), 1),
        "receipt_to_points_p95_ms": round(percentile(latencies, 95), 1),
        "receipt_to_points_max_ms": round(max(latencies, default=float("nan")), 1),
    }
    log(
        f"receipt → points: p50 {out['receipt_to_points_p50_ms']} ms, p95 "
        f"{out['receipt_to_points_p95_ms']} ms over {len(latencies)}/{events} events at "
        f"{rate:g}/s; {out['receipt_ledger_entries']} ledger entries"
    )
    return out


async def _count_entries(watcher: LedgerWatcher) -> int:
    async with watcher.engine.connect() as conn:
        return int(
            (await conn.execute(text("SELECT count(*) FROM loyalty_transactions"))).scalar_one()
        )
