"""Run every benchmark, print the table, write bench/results.json.

    python -m bench.run [--quick] [--only sync,webhook,receipt,drain,upcoming]

Every throughput is a ratio against a ceiling measured in the same run on the same machine
(absolute numbers on a shared machine are noise). `--quick` syncs 1k and 10k records (not
100k), loads the webhook for 5 s instead of 10, posts 200 events instead of 1,000 and fills
100,000 bookings instead of 1,000,000.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import drain, receipt, sync, upcoming, webhook
from bench.common import machine

RESULTS = Path(__file__).with_name("results.json")
SUITES = {
    "sync": sync.run,
    "webhook": webhook.run,
    "receipt": receipt.run,
    "drain": drain.run,
    "upcoming": upcoming.run,
}


@dataclass(frozen=True)
class Target:
    label: str
    key: str
    check: Callable[[Any], bool]
    goal: str
    quick_key: str | None = None  # what --quick measures instead (indicative only)


TARGETS = [
    Target("sync 100k / fetch-only", "sync_ratio_100k", lambda v: v >= 0.3, "≥ 0.3",
           "sync_ratio_10k"),
    Target("unchanged re-sync / fetch-only", "resync_ratio_100k", lambda v: v >= 0.6, "≥ 0.6",
           "resync_ratio_10k"),
    Target("time(100k) / time(10k)", "sync_time_100k_over_10k", lambda v: v <= 11, "≤ 11"),
    Target("peak RSS(100k) / RSS(10k)", "sync_rss_100k_over_10k", lambda v: v <= 1.3, "≤ 1.3"),
    Target("peak RSS of the 100k sync (MB)", "sync_rss_mb_100k", lambda v: v <= 150, "≤ 150",
           "sync_rss_mb_10k"),
    Target("SQL statements per page (any page size)", "sql_statements_per_page",
           lambda v: v <= 8, "≤ 8"),
    Target("YClients requests for 100k", "yclients_requests_100k", lambda v: v == 500,
           "= N/200", "yclients_requests_10k"),
    Target("webhook accept / bare route", "webhook_accept_ratio", lambda v: v >= 0.5, "≥ 0.5"),
    Target("webhook p99 at 64 connections (ms)", "webhook_p99_ms", lambda v: v <= 30, "≤ 30"),
    Target("every 2xx webhook stored", "webhook_all_acknowledged_stored", lambda v: v is True,
           "true"),
    Target("receipt → points p95 (ms)", "receipt_to_points_p95_ms", lambda v: v <= 1000,
           "≤ 1000"),
    Target("receipt → points p95 at 200/s (ms)", "receipt_to_points_p95_ms_at_200",
           lambda v: v <= 1000, "≤ 1000"),
    Target("event drain (1 worker) / sync records/s", "event_drain_ratio",
           lambda v: v >= 0.25, "≥ 0.25"),
    Target("every drained event credited once", "event_drain_exactly_once",
           lambda v: v is True, "true"),
    Target("upcoming list p95 (ms)", "upcoming_p95_ms", lambda v: v <= 10, "≤ 10"),
    Target("upcoming list uses an index", "upcoming_index_scan", lambda v: v is True, "true"),
]  # fmt: skip


def evaluate(results: dict[str, Any], quick: bool) -> list[dict[str, Any]]:
    rows = []
    for t in TARGETS:
        key, note = t.key, ""
        value = results.get(key)
        if value is None and quick and t.quick_key:
            key, value, note = t.quick_key, results.get(t.quick_key), " (quick: 10k)"
        if t.key == "yclients_requests_100k" and key == "yclients_requests_10k":
            met = value == results.get("yclients_requests_expected_10k")
        elif value is None or (isinstance(value, float) and math.isnan(value)):
            met = None
        else:
            met = bool(t.check(value))
        rows.append({"target": t.label + note, "key": key, "value": value, "goal": t.goal,
                     "met": met})  # fmt: skip
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [f"{'target':44} {'measured':>12}  {'goal':>8}  result", "-" * 77]
    for r in rows:
        value = r["value"]
        shown = "—" if value is None else (f"{value:.3g}" if isinstance(value, float) else value)
        verdict = {True: "met", False: "MISSED", None: "not measured"}[r["met"]]
        lines.append(f"{r['target']:44} {shown!s:>12}  {r['goal']:>8}  {verdict}")
    return "\n".join(lines)


def flatten(results: dict[str, Any]) -> dict[str, Any]:
    """results.json is one flat object: nested details become scalars."""
    flat: dict[str, Any] = {}
    for key, value in results.items():
        if isinstance(value, dict) and key.startswith(("sync_counts_", "resync_counts_")):
            flat.update({f"{key}_{k}": v for k, v in value.items()})
        elif isinstance(value, dict):
            flat[key] = "; ".join(f"{k}: {v}" for k, v in value.items())
        elif isinstance(value, list):
            flat[key] = "\n\n".join(map(str, value))
        else:
            flat[key] = value
    return flat


async def main_async(quick: bool, only: list[str]) -> dict[str, Any]:
    started = time.monotonic()
    results: dict[str, Any] = {
        "quick": quick,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **await machine(),
    }
    for name in only:
        print(f"== {name}", flush=True)
        t0 = time.monotonic()
        results.update(await SUITES[name](quick, lambda line: print("   ", line, flush=True)))
        results[f"{name}_bench_seconds"] = round(time.monotonic() - t0, 1)
    results["bench_seconds"] = round(time.monotonic() - started, 1)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the short run (under 5 minutes)")
    parser.add_argument("--only", default=",".join(SUITES), help="comma-separated suites")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SUITES)
    if unknown:
        parser.error(f"unknown suites: {', '.join(sorted(unknown))}")
    results = asyncio.run(main_async(args.quick, only))
    rows = evaluate(results, args.quick)
    results["targets_met"] = sum(r["met"] is True for r in rows)
    results["targets_missed"] = sum(r["met"] is False for r in rows)
    args.out.write_text(json.dumps(flatten(results), indent=1, ensure_ascii=False) + "\n")
    print()
    print(
        f"{results['machine_cpu_count']} × {results['machine_cpu_model']}, Python "
        f"{results['machine_python']}, PostgreSQL {results['machine_postgres']}, "
        f"{'quick' if args.quick else 'full'} run in {results['bench_seconds']:.0f} s"
    )
    print(table(rows))
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
