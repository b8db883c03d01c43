"""Sync, simulator → PostgreSQL, against the fetch-only ceiling.

Per size N (records in the window): the simulator (its own process) is reset and given N
deterministic synthetic records; a fresh database gets members for two thirds of the
simulated clients (by code, email or phone, as real members would be found), so the sync
links, leaves some unmatched and awards points for completed visits. Then, each in a new
process: two fetch-only passes (the ceiling is the faster), the first sync, and a second
sync with nothing changed.
"""

from __future__ import annotations

import json
import math
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import pool, text

from bench.common import (
    COMPANY_ID,
    PYTHON,
    ROOT,
    Procs,
    base_env,
    free_port,
    ratio,
    start_simulator,
    temporary_database,
)
from bench.sync_child import client, window
from src.adapters.db.engine import make_engine
from src.domain.client_codes import extract_code
from src.domain.contacts import normalize_email, phone_key

SEED = 20240601
PAGE_SIZE = 200
CHILD_TIMEOUT = 600
COUNTS = (
    "records", "created", "updated", "unchanged", "linked", "unmatched", "points_awarded",
    "errors", "page_transactions",
)  # fmt: skip


def tag(n: int) -> str:
    return f"{n // 1000}k" if n >= 1000 else str(n)


async def prepare_simulator(sim: str, n: int) -> None:
    async with httpx.AsyncClient(base_url=sim, timeout=300) as http:
        (await http.post("/_control/reset")).raise_for_status()
        body = {"company_id": COMPANY_ID, "count": n, "seed": SEED}
        (await http.post("/_control/generate", json=body)).raise_for_status()


async def collect_members(base_url: str) -> list[dict[str, Any]]:
    """Members for two thirds of the simulated clients. One pass over the simulator, which
    also warms its per-record JSON cache before anything is timed."""
    clients: dict[str, tuple[str | None, str | None, str]] = {}
    gateway = client(base_url, 1000)
    start, end = window()
    async for page in gateway.record_pages(COMPANY_ID, start, end):
        for r in page.records:
            key = phone_key(r.client.phone) if r.client else None
            if key and r.client and key not in clients:
                email = normalize_email(r.client.email)
                clients[key] = (email, extract_code(r.comment), r.client.phone or "")
    await gateway.aclose()
    members, emails, codes = [], set(), set()
    now = datetime.now(UTC)
    for i, (key, (email, code, phone)) in enumerate(sorted(clients.items())):
        if int(key) % 3 == 0:
            continue  # not a member: their bookings stay unmatched
        if not email or email in emails:
            email = f"member{i}@members.bench"
        if code in codes:
            code = None
        emails.add(email)
        if code:
            codes.add(code)
        members.append({
            "email": email, "password_hash": "x", "role": "user", "phone": phone,
            "phone_key": key, "name": None, "unique_code": code,
            "created_at": now, "updated_at": now,
        })  # fmt: skip
    return members


async def insert_members(url: str, members: list[dict[str, Any]]) -> None:
    from src.adapters.db.users import users

    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            for start in range(0, len(members), 2000):
                await conn.execute(users.insert(), members[start : start + 2000])
            # Members exist before a first sync; bookings do not (never analyzed, as in a
            # fresh production database).
            await conn.execute(text("ANALYZE users"))
    finally:
        await engine.dispose()


def child(
    mode: str, base_url: str, database: str = "", page_size: int = PAGE_SIZE
) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as out:
        path = Path(out.name)
    try:
        cmd = [PYTHON, "-m", "bench.sync_child", mode, "--base-url", base_url,
               "--page-size", str(page_size), "--out", str(path)]  # fmt: skip
        if database:
            cmd += ["--database", database]
        done = subprocess.run(
            cmd, cwd=ROOT, env=base_env(), capture_output=True, timeout=CHILD_TIMEOUT
        )
        if done.returncode != 0:
            tail = done.stderr.decode(errors="replace")[-3000:]
            raise RuntimeError(f"bench.sync_child {mode} failed:\n{tail}")
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    finally:
        path.unlink(missing_ok=True)


def rate(result: dict[str, Any]) -> float:
    return result["records"] / result["elapsed_s"]


async def one_size(base_url: str, n: int, log: Any) -> dict[str, Any]:
    t = tag(n)
    members = await collect_members(base_url)
    async with temporary_database("bench_sync") as url:
        await insert_members(url, members)
        fetches = [child("fetch", base_url) for _ in range(2)]
        first = child("sync", base_url, url)
        again = child("sync", base_url, url)
    fetch = max(fetches, key=rate)
    expected_requests = math.ceil(n / PAGE_SIZE)
    out = {
        f"members_{t}": len(members),
        f"fetch_rps_{t}": round(rate(fetch)),
        f"fetch_time_s_{t}": round(fetch["elapsed_s"], 3),
        f"fetch_rss_mb_{t}": round(fetch["rss_peak_mb"], 1),
        f"sync_rps_{t}": round(rate(first)),
        f"sync_time_s_{t}": round(first["elapsed_s"], 3),
        f"sync_cpu_s_{t}": round(first["cpu_s"], 3),
        f"fetch_cpu_s_{t}": round(fetch["cpu_s"], 3),
        f"resync_cpu_s_{t}": round(again["cpu_s"], 3),
        f"sql_seconds_{t}": first["statement_seconds"],
        f"sql_growth_{t}": first["statement_growth"],
        f"sync_ratio_{t}": ratio(rate(first), rate(fetch)),
        f"resync_rps_{t}": round(rate(again)),
        f"resync_time_s_{t}": round(again["elapsed_s"], 3),
        f"resync_ratio_{t}": ratio(rate(again), rate(fetch)),
        f"sync_rss_mb_{t}": round(first["rss_peak_mb"], 1),
        f"resync_rss_mb_{t}": round(again["rss_peak_mb"], 1),
        f"sync_rss_baseline_mb_{t}": round(first["rss_baseline_mb"], 1),
        f"yclients_requests_{t}": first["requests"],
        f"yclients_requests_resync_{t}": again["requests"],
        f"yclients_requests_expected_{t}": expected_requests,
        f"sql_statements_per_page_{t}": first["statements_per_page_max"],
        f"sql_statements_per_page_resync_{t}": again["statements_per_page_max"],
        f"sql_statement_kinds_{t}": first["statement_kinds"],
        f"sync_counts_{t}": {k: first[k] for k in COUNTS},
        f"resync_counts_{t}": {k: again[k] for k in COUNTS},
    }
    if first["records"] != n or again["unchanged"] != n:
        raise RuntimeError(f"sync of {n} records is off: {first} / {again}")
    log(
        f"sync {t}: fetch {out[f'fetch_rps_{t}']}/s, sync {out[f'sync_rps_{t}']}/s "
        f"({out[f'sync_ratio_{t}']}), resync {out[f'resync_rps_{t}']}/s "
        f"({out[f'resync_ratio_{t}']}), rss {out[f'sync_rss_mb_{t}']} MB, "
        f"{out[f'sql_statements_per_page_{t}']} stmts/page"
    )
    return out


async def statements_by_page_size(base_url: str, sim: str, log: Any) -> dict[str, Any]:
    """The same 1,000 records synced at page sizes 50 and 1,000: statements per page must
    not depend on the page size."""
    out: dict[str, Any] = {}
    await prepare_simulator(sim, 1000)
    members = await collect_members(base_url)
    for size in (50, 1000):
        async with temporary_database("bench_sync") as url:
            await insert_members(url, members)
            first = child("sync", base_url, url, page_size=size)
        out[f"sql_statements_per_page_size{size}"] = first["statements_per_page_max"]
        out[f"yclients_requests_size{size}"] = first["requests"]
    log(f"statements per page at 50 / 1000: {out}")
    return out


async def run(quick: bool, log: Any = print) -> dict[str, Any]:
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    results: dict[str, Any] = {"sync_page_size": PAGE_SIZE}
    with Procs() as procs:
        port = free_port()
        start_simulator(procs, port)
        sim = f"http://127.0.0.1:{port}"
        base_url = f"{sim}/api/v1"
        for n in sizes:
            await prepare_simulator(sim, n)
            results.update(await one_size(base_url, n, log))
        results.update(await statements_by_page_size(base_url, sim, log))
    per_page = [v for k, v in results.items() if k.startswith("sql_statements_per_page")]
    results["sql_statements_per_page"] = max(per_page)
    big, mid = ("100k", "10k")
    if f"sync_time_s_{big}" in results:
        results["sync_time_100k_over_10k"] = round(
            results[f"sync_time_s_{big}"] / results[f"sync_time_s_{mid}"], 2
        )
        results["sync_rss_100k_over_10k"] = round(
            results[f"sync_rss_mb_{big}"] / results[f"sync_rss_mb_{mid}"], 3
        )
    return results
