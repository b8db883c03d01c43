"""Webhook accept: `POST /api/v1/yclients/webhook?secret=...` at 64 connections against a bare
Litestar route (bench/bare_app.py) served the same way, in the same run.

The API runs as in production with Redis (`python -m src.entrypoints.cli serve`, one worker;
events are enqueued to a bench-only stream that no worker reads). Every request carries a
different record id, so no delivery is a duplicate. Afterwards the inbox is counted: every
request answered 2xx must be a stored row (nothing acknowledged that was not committed).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import msgspec
from sqlalchemy import pool, text

from bench import loadgen
from bench.common import (
    COMPANY_ID,
    PYTHON,
    REDIS_URL,
    WEBHOOK_SECRET,
    Procs,
    base_env,
    free_port,
    ratio,
    temporary_database,
    wait_http,
)
from src.adapters.db.engine import make_engine
from src.entrypoints.simulator import records

CONNECTIONS = 64
_SENTINEL = 987654321987  # replaced by loadgen.ID_MARK in the template


def webhook_body(comment: str = "", attendance: int = 2) -> str:
    """A realistic `record` webhook (about 2 KB) whose record id is loadgen.ID_MARK."""
    now = datetime.now(UTC)
    record = records.record(
        record_id=_SENTINEL,
        company_id=COMPANY_ID,
        at=now + timedelta(days=2),
        services=[
            records.service(11223301, "Маникюр с покрытием гель-лак", Decimal(2500)),
            records.service(11223307, "Коррекция бровей", Decimal(900)),
        ],
        client=records.client(145500001, "Мария", "Иванова", "+7 (916) 555-12-34", None),
        comment=comment,
        attendance=attendance,
        created=now - timedelta(days=1),
        changed=now,
    )
    envelope = {
        "company_id": COMPANY_ID, "resource": "record", "resource_id": _SENTINEL,
        "status": "update", "data": record,
    }  # fmt: skip
    body = msgspec.json.encode(envelope, enc_hook=str).decode()
    return body.replace(str(_SENTINEL), loadgen.ID_MARK)


def api_env(database: str, port: int, queue: str, **extra: str) -> dict[str, str]:
    return base_env(
        DATABASE_URL=database,
        REDIS_URL=REDIS_URL,
        TASK_QUEUE_NAME=queue,
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="1",
        YCLIENTS_BASE_URL="http://127.0.0.1:9/api/v1",  # never called by these benchmarks
        **extra,
    )


def drop_queue(queue: str, redis_url: str = REDIS_URL) -> None:
    """Delete a task stream and its keys (each run uses its own)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(f"{queue}*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


async def count_rows(url: str, sql: str) -> int:
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(text(sql))).scalar_one())
    finally:
        await engine.dispose()


async def run(
    quick: bool,
    log: Any = print,
    *,
    seconds: float | None = None,
    warmup: float | None = None,
    tool: str | None = None,
) -> dict[str, Any]:
    """The webhook suite; `seconds`/`warmup`/`tool` override the run's length and load
    generator (a test runs it for a few seconds with the Python client)."""
    default_seconds, default_warmup = (5.0, 2.0) if quick else (10.0, 3.0)
    seconds = default_seconds if seconds is None else seconds
    warmup = default_warmup if warmup is None else warmup
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    body = webhook_body()
    out: dict[str, Any] = {"webhook_connections": CONNECTIONS, "webhook_seconds": seconds}
    try:
        async with temporary_database("bench_hook") as url:
            with Procs() as procs:
                api_port, bare_port = free_port(), free_port()
                api = procs.start(
                    "api", [PYTHON, "-m", "src.entrypoints.cli", "serve"],
                    api_env(url, api_port, queue),
                )  # fmt: skip
                wait_http(f"http://127.0.0.1:{api_port}/health", api)
                bare = procs.start("bare", [PYTHON, "-m", "bench.bare_app", str(bare_port)],
                                   base_env())  # fmt: skip
                wait_http(f"http://127.0.0.1:{bare_port}/", bare)
                path = "/api/v1/yclients/webhook"
                hook = f"http://127.0.0.1:{api_port}{path}?secret={WEBHOOK_SECRET}"
                ceiling = f"http://127.0.0.1:{bare_port}{path}"
                # Warm both up (imports, connection pools, prepared statements), then measure.
                warm = {
                    name: await loadgen.run(target, connections=CONNECTIONS, seconds=warmup,
                                            body=body, first_id=1, tool=tool)
                    for name, target in (("bare", ceiling), ("hook", hook))
                }  # fmt: skip
                runs = {
                    name: await loadgen.run(target, connections=CONNECTIONS, seconds=seconds,
                                            body=body, first_id=2 * 10**8 + 1, tool=tool)
                    for name, target in (("bare", ceiling), ("hook", hook))
                }  # fmt: skip
                stored = await count_rows(url, "SELECT count(*) FROM webhook_events")
                procs.stop(api)
                # Requests in flight when the load stopped may be stored without having been
                # counted as answered: stored >= acknowledged is the invariant.
                after_stop = await count_rows(url, "SELECT count(*) FROM webhook_events")
    finally:
        drop_queue(queue)
    bare_load, hook_load = runs["bare"], runs["hook"]
    out.update(bare_load.as_dict("webhook_bare"))
    out.update(hook_load.as_dict("webhook_accept"))
    out["webhook_accept_ratio"] = ratio(hook_load.rps, bare_load.rps)
    out["webhook_p50_ms"] = round(hook_load.p50_ms, 2)
    out["webhook_p99_ms"] = round(hook_load.p99_ms, 2)
    acked = sum(r.requests - r.non_2xx for r in (warm["hook"], hook_load))
    out["webhook_acknowledged"] = acked
    out["webhook_stored_rows"] = after_stop
    out["webhook_all_acknowledged_stored"] = after_stop >= acked
    out["webhook_stored_rows_at_end_of_load"] = stored
    out["webhook_load_tool"] = hook_load.tool
    log(
        f"webhook accept: {hook_load.rps:.0f}/s (p50 {hook_load.p50_ms:.1f} ms, p99 "
        f"{hook_load.p99_ms:.1f} ms, {hook_load.non_2xx} non-2xx) vs bare {bare_load.rps:.0f}/s"
        f" → {out['webhook_accept_ratio']}; {after_stop} rows stored [{hook_load.tool}]"
    )
    return out
