"""`GET /api/v1/booking?upcoming_only=true` for one member with 1,000 bookings in a table of
1,000,000 (quick: 100,000), filled in SQL with generate_series: latency over HTTP against the
API process, and the plan PostgreSQL runs for the repository's statements (EXPLAIN ANALYZE of
the exact SQL and parameters the repository sends)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
from sqlalchemy import event, pool, text

from bench.common import (
    JWT_SECRET,
    PYTHON,
    QUIET_NOTIFIER,
    Procs,
    free_port,
    percentile,
    temporary_database,
    wait_http,
)
from bench.webhook import api_env, drop_queue
from src.adapters.clock import SystemClock
from src.adapters.db.engine import make_engine
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.use_cases.bookings import ListBookings
from src.domain.user import Role, User
from src.entrypoints.http.auth import issue_token
from src.entrypoints.settings import load_settings

MEMBERS = 20_000
THEIRS = 1_000


async def fill(url: str, bookings: int) -> tuple[int, float]:
    """Members and bookings in three INSERT ... SELECT; returns the member with THEIRS
    bookings (every `bookings // THEIRS`-th row), and the seconds it took."""
    every = bookings // THEIRS
    started = time.perf_counter()
    engine = make_engine(url, poolclass=pool.NullPool)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO users (email, password_hash, role, created_at, updated_at) "
                    "SELECT 'member' || g || '@bench.example', 'x', 'user', now(), now() "
                    "FROM generate_series(1, :n) g"
                ),
                {"n": MEMBERS},
            )
            first = (await conn.execute(text("SELECT min(id) FROM users"))).scalar_one()
            member = first  # gets every `every`-th booking; the others spread over the rest
            await conn.execute(
                text(
                    "INSERT INTO bookings (company_id, yclients_record_id, user_id, match_method,"
                    " status, appointment_at, last_change_at, price, services, staff_name,"
                    " client_name, comment, created_at, updated_at) "
                    "SELECT 873456, 700000000 + g,"
                    " CASE WHEN g % :every = 0 THEN :member"
                    "      WHEN g % 10 < 3 THEN NULL"  # a share of unmatched bookings
                    "      ELSE :first + 1 + g % (:members - 1) END,"
                    " CASE WHEN g % 10 < 3 AND g % :every <> 0 THEN NULL ELSE 'code' END,"
                    " (ARRAY['PENDING','CONFIRMED','COMPLETED','CANCELLED','NO_SHOW'])"
                    "[1 + (g / 7) % 5],"
                    " now() + ((g % 181) - 90) * interval '1 day' + (g % 600) * interval '1 min',"
                    " now(), 2500.00, '[[\"Маникюр\", \"2500\"]]'::jsonb, 'Анна Смирнова',"
                    " 'Мария', '', now(), now() "
                    "FROM generate_series(1, :n) g"
                ),
                {"n": bookings, "every": every, "member": member, "first": first,
                 "members": MEMBERS},
            )  # fmt: skip
        async with engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE bookings"))
            await conn.execute(text("ANALYZE users"))
    finally:
        await engine.dispose()
    return int(member), time.perf_counter() - started


async def plans(url: str, member: int) -> list[str]:
    """The repository's statements for the member's upcoming list, EXPLAIN ANALYZEd."""
    engine = make_engine(url)
    captured: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if "FROM bookings" in statement:
            captured.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", capture)
    try:
        await ListBookings(SqlUnitOfWorkFactory(engine), SystemClock())(member, upcoming_only=True)
        event.remove(engine.sync_engine, "before_cursor_execute", capture)
        out = []
        async with engine.connect() as conn:
            for statement, parameters in captured:
                rows = await conn.exec_driver_sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) {statement}", parameters
                )
                out.append("\n".join(row[0] for row in rows))
        return out
    finally:
        await engine.dispose()


def uses_index(plan: str) -> bool:
    return "Seq Scan on bookings" not in plan and "Index" in plan


async def run(quick: bool, log: Any = print) -> dict[str, Any]:
    size = 100_000 if quick else 1_000_000
    requests, warmup = (200, 30) if quick else (500, 50)
    queue = f"bench-{uuid.uuid4().hex[:10]}"
    try:
        async with temporary_database("bench_upcoming") as url:
            member, fill_s = await fill(url, size)
            explained = await plans(url, member)
            settings = load_settings(
                {"JWT_SECRET": JWT_SECRET, "APP_ENV": "prod", **QUIET_NOTIFIER}
            )
            token = issue_token(settings, User("member@bench.example", "x", Role.USER, id=member))
            with Procs() as procs:
                port = free_port()
                api = procs.start(
                    "api", [PYTHON, "-m", "src.entrypoints.cli", "serve"],
                    api_env(url, port, queue),
                )  # fmt: skip
                wait_http(f"http://127.0.0.1:{port}/health", api)
                latencies, total = await _measure(port, token, requests, warmup)
    finally:
        drop_queue(queue)
    out = {
        "upcoming_table_rows": size,
        "upcoming_member_bookings": THEIRS,
        "upcoming_member_upcoming_total": total,
        "upcoming_fill_s": round(fill_s, 1),
        "upcoming_requests": requests,
        "upcoming_p50_ms": round(percentile(latencies, 50), 2),
        "upcoming_p95_ms": round(percentile(latencies, 95), 2),
        "upcoming_index_scan": all(uses_index(p) for p in explained) and bool(explained),
        "upcoming_plans": explained,
    }
    log(
        f"upcoming list: p50 {out['upcoming_p50_ms']} ms, p95 {out['upcoming_p95_ms']} ms "
        f"({total} upcoming of {THEIRS} in {size:,} rows); index scan: "
        f"{out['upcoming_index_scan']}"
    )
    return out


async def _measure(port: int, token: str, requests: int, warmup: int) -> tuple[list[float], int]:
    url = f"http://127.0.0.1:{port}/api/v1/booking"
    headers = {"Authorization": f"Bearer {token}"}
    latencies: list[float] = []
    total = 0
    async with httpx.AsyncClient(timeout=30, headers=headers) as client:
        for n in range(warmup + requests):
            started = time.perf_counter()
            response = await client.get(url, params={"upcoming_only": "true"})
            elapsed = (time.perf_counter() - started) * 1000
            response.raise_for_status()
            if n >= warmup:
                latencies.append(elapsed)
            total = response.json()["total"]
    return latencies, total
