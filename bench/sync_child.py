"""One sync (or one fetch-only pass) in a process of its own, so its peak RSS is its own.

    python -m bench.sync_child fetch|sync --database URL --base-url URL --out FILE

`fetch`: the real `YClientsClient` (rate_limit=None) pages through the simulator over the
sync's window and decodes every record, writing nothing: the ceiling. `sync`: `SyncBookings`
from the composition root with the same client, against PostgreSQL; every SQL statement is
counted by a `before_cursor_execute` listener and grouped by transaction.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import resource
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.common import COMPANY_ID, PARTNER_TOKEN, QUIET_NOTIFIER, USER_TOKEN, peak_rss_mb
from src.adapters.yclients.client import YClientsClient
from src.entrypoints.bootstrap import build_container
from src.entrypoints.logs import configure_logging
from src.entrypoints.settings import load_settings

PAST_DAYS, FUTURE_DAYS = 30, 60


def client(base_url: str, page_size: int) -> YClientsClient:
    return YClientsClient(
        PARTNER_TOKEN, USER_TOKEN, base_url=base_url, page_size=page_size, rate_limit=None
    )


def window() -> tuple[Any, Any]:
    """The same dates `SyncBookings` asks for."""
    now = datetime.now(UTC)
    return (
        (now - timedelta(days=PAST_DAYS + 1)).date(),
        (now + timedelta(days=FUTURE_DAYS + 1)).date(),
    )


async def fetch_only(args: argparse.Namespace) -> dict[str, Any]:
    gateway = client(args.base_url, args.page_size)
    start, end = window()
    records = errors = pages = 0
    began = time.perf_counter()
    async for page in gateway.record_pages(COMPANY_ID, start, end):
        records += len(page.records)
        errors += len(page.errors)
        pages += 1
    elapsed = time.perf_counter() - began
    await gateway.aclose()
    return {
        "elapsed_s": elapsed,
        "records": records + errors,
        "errors": errors,
        "pages": pages,
        "requests": gateway.requests_made,
    }


def _growth(series: list[float]) -> str:
    """Mean milliseconds of the first and the last tenth of a statement's executions: a
    statement whose cost grows with the table shows here."""
    tenth = max(1, len(series) // 10)
    first, last = series[:tenth], series[-tenth:]
    return f"{1000 * sum(first) / len(first):.2f} -> {1000 * sum(last) / len(last):.2f} ms"


def kind(statement: str) -> str:
    """A short label: the first words of the statement."""
    return " ".join(statement.split()[:3])[:40]


class StatementCounter:
    """Statements per transaction, from the engine's events."""

    def __init__(self) -> None:
        self.open: dict[int, list[str]] = defaultdict(list)
        self.done: list[list[str]] = []
        self.begins = 0
        self.seconds: dict[str, float] = defaultdict(float)
        self._started: dict[int, float] = {}
        self.series: dict[str, list[float]] = defaultdict(list)

    def attach(self, engine: Any) -> None:
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "after_cursor_execute", self._done)
        event.listen(engine, "begin", self._begin)
        event.listen(engine, "commit", self._end)
        event.listen(engine, "rollback", self._end)

    def _statement(self, conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        self.open[id(conn)].append(statement)
        self._started[id(conn)] = time.perf_counter()

    def _done(self, conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        began = self._started.pop(id(conn), None)
        if began is not None:
            took = time.perf_counter() - began
            self.seconds[kind(statement)] += took
            self.series[kind(statement)].append(took)

    def _begin(self, conn) -> None:  # type: ignore[no-untyped-def]
        self.begins += 1
        self.open[id(conn)] = []

    def _end(self, conn) -> None:  # type: ignore[no-untyped-def]
        statements = self.open.pop(id(conn), [])
        if statements:
            self.done.append(statements)

    def page_transactions(self) -> list[list[str]]:
        """Transactions that touched the bookings table: one per page ingested."""
        marks = (" bookings ", " bookings\n", "INTO bookings", "UPDATE bookings")
        return [t for t in self.done if any(any(m in s for m in marks) for s in t)]


async def sync(args: argparse.Namespace) -> dict[str, Any]:
    settings = load_settings(
        {
            "DATABASE_URL": args.database,
            "YCLIENTS_COMPANY_IDS": str(COMPANY_ID),
            "SYNC_PAST_DAYS": str(PAST_DAYS),
            "SYNC_FUTURE_DAYS": str(FUTURE_DAYS),
            "LOG_LEVEL": args.log_level,
            "LOG_FORMAT": "json",
            **QUIET_NOTIFIER,
        },
        dotenv=Path("/nonexistent"),
    )
    # As the worker runs it: structured logs at the configured level (to this process's log).
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    gateway = client(args.base_url, args.page_size)
    container = build_container(settings, gateway=gateway)
    counter = StatementCounter()
    counter.attach(container.uow_factory.engine.sync_engine)  # type: ignore[attr-defined]
    try:
        began = time.perf_counter()
        run = await container.sync(COMPANY_ID, "bench")
        elapsed = time.perf_counter() - began
    finally:
        await container.aclose()
    if run.status.value != "SUCCEEDED":
        raise RuntimeError(f"sync {run.status.value}: {run.error}")
    pages = counter.page_transactions()
    per_page = [len(t) for t in pages]
    kinds: dict[str, int] = defaultdict(int)
    for t in pages:
        for s in t:
            kinds[kind(s)] += 1
    c = run.counts
    return {
        "elapsed_s": elapsed,
        "records": c.fetched,
        "created": c.created,
        "updated": c.updated,
        "unchanged": c.unchanged,
        "linked": c.linked,
        "unmatched": c.unmatched,
        "points_awarded": str(c.points_awarded),
        "errors": c.errors,
        "requests": gateway.requests_made,
        "page_transactions": len(pages),
        "statements_per_page_max": max(per_page, default=0),
        "statements_per_page_mean": sum(per_page) / len(per_page) if per_page else 0,
        "statements_total": sum(len(t) for t in counter.done),
        "transactions": counter.begins,
        "statement_kinds": dict(sorted(kinds.items(), key=lambda kv: -kv[1])),
        "statement_growth": {k: _growth(v) for k, v in counter.series.items() if len(v) >= 20},
        "statement_seconds": {
            k: round(v, 3) for k, v in sorted(counter.seconds.items(), key=lambda kv: -kv[1])
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["fetch", "sync"])
    parser.add_argument("--database", default="")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--page-size", type=int, default=200)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--profile", help="profile the run: FILE.pstats (cProfile) or FILE (pyinstrument text)"
    )
    args = parser.parse_args()
    logging.getLogger().setLevel(logging.WARNING)
    gc.collect()
    baseline = peak_rss_mb()
    run = fetch_only if args.mode == "fetch" else sync
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    if args.profile and args.profile.endswith(".pstats"):
        import cProfile

        with cProfile.Profile() as cprofile:
            result = asyncio.run(run(args))
        cprofile.dump_stats(args.profile)
    elif args.profile:
        from pyinstrument import Profiler

        with Profiler(interval=0.0005, async_mode="disabled") as profiler:
            result = asyncio.run(run(args))
        Path(args.profile).write_text(profiler.output_text(show_all=False, short_mode=False))
    else:
        result = asyncio.run(run(args))
    after = resource.getrusage(resource.RUSAGE_SELF)
    # CPU of this process while it ran (less sensitive to a busy machine than wall time).
    result["cpu_s"] = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    result["rss_baseline_mb"] = baseline
    result["rss_peak_mb"] = peak_rss_mb()
    Path(args.out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
