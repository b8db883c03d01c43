"""A soak run: a salon chain's day against the service as it runs in production.

    python -m bench.soak [--quick] [--salons N] [--hours H] [--speedup X] [--webhook-loss P]
                         [--error-rate P] [--workers N] [--members N] [--per-hour R] [--seed S]

`just soak` / `just soak --quick`. Starts, on free loopback ports, with a fresh PostgreSQL
database and a fresh Redis key prefix (`TASK_QUEUE_NAME`): the simulator serving N salons
(enforcing YClients' 5 requests a second itself, answering a share of requests 5xx,
dropping a share of webhooks), the API (`cli serve`, as `just serve`), `--workers` taskiq
workers (as `just worker`) and one taskiq scheduler (as `just scheduler`). Registers
members through the API (their contacts trusted with `cli trust-contacts`, as a salon
whose old system verified them would), adds the salons (`add_salons`), then plays the day
of src/entrypoints/simulator/day.py on the simulator at `speedup` × real time. The service's
sync interval scales with it: 30 simulated minutes are `30 × 60 / speedup` real seconds
(`SYNC_INTERVAL_SECONDS_OVERRIDE`). After the day: one sync interval with no new changes,
then until the scheduled sync that started after the last change has finished; then every
booking (status, price, deleted, linked member) and every member's balance is compared with
what the simulator and the plan say, a table is printed, and the `soak_*` keys are merged
into bench/results.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import pool, text

from bench.common import (
    PYTHON,
    VENV_BIN,
    Proc,
    Procs,
    base_env,
    free_port,
    start_simulator,
    temporary_database,
    wait_http,
)
from bench.drain import _tree_cpu_seconds
from bench.webhook import drop_queue
from src.adapters.db.engine import make_engine
from src.entrypoints.simulator.day import DayPlan, Member, plan_day

RESULTS = Path(__file__).with_name("results.json")
REDIS_URL = "redis://127.0.0.1:6379/0"
FIRST_COMPANY = 2_000_001
PASSWORD = "soak-pass-123"
SIM_INTERVAL_MINUTES = 30  # the service's default SYNC_INTERVAL_MINUTES, in simulated time


@dataclass(frozen=True)
class SoakParams:
    salons: int = 1000
    hours: float = 2.0  # simulated
    speedup: float = 6.0  # simulated seconds per real second
    webhook_loss: float = 0.05
    error_rate: float = 0.02
    workers: int = 4
    members: int = 400
    per_hour: float = 3.0  # bookings created per salon per simulated hour
    seed: int = 20261201
    rate_limit: int = 5  # YClients' requests per second (the simulator enforces it)

    @property
    def interval_s(self) -> int:
        """The service's sync interval in real seconds (30 simulated minutes)."""
        return max(1, round(SIM_INTERVAL_MINUTES * 60 / self.speedup))

    @property
    def companies(self) -> list[int]:
        return list(range(FIRST_COMPANY, FIRST_COMPANY + self.salons))


QUICK = SoakParams(salons=100, hours=1.0, speedup=60.0, workers=2, members=60)


# --- salons: the one place that says how the service learns about them ----------------------


def salons_env(companies: list[int]) -> dict[str, str]:
    """Salons the service knows from the start. Today the environment list; once salons are
    a table with an admin API (issue 22 item 1), return {} here and let `add_salons` post
    them: that is the whole switch."""
    return {"YCLIENTS_COMPANY_IDS": ",".join(map(str, companies))}


async def add_salons(client: httpx.AsyncClient, api: str, companies: list[int]) -> None:
    """Add the salons to the running service. No-op while `salons_env` names them; with the
    admin API: `POST /api/v1/admin/salons` per salon (an admin's token from `create-admin`)."""
    if salons_env(companies):
        return
    raise NotImplementedError("salons via the admin API: POST /api/v1/admin/salons")


# --- the run ------------------------------------------------------------------------------


async def run(params: SoakParams, log: Any = print) -> dict[str, Any]:
    queue = f"soak-{uuid.uuid4().hex[:10]}"
    try:
        async with temporary_database("soak") as db_url:
            with Procs() as procs:
                return await _run(params, db_url, queue, procs, log)
    finally:
        drop_queue(queue, REDIS_URL)


async def _run(
    params: SoakParams, db_url: str, queue: str, procs: Procs, log: Any
) -> dict[str, Any]:  # fmt: skip
    api_port, sim_port = free_port(), free_port()
    api, sim = f"http://127.0.0.1:{api_port}", f"http://127.0.0.1:{sim_port}"
    hook = f"{api}/api/v1/yclients/webhook?secret="
    env = base_env(
        DATABASE_URL=db_url,
        REDIS_URL=REDIS_URL,
        TASK_QUEUE_NAME=queue,
        YCLIENTS_BASE_URL=f"{sim}/api/v1",
        YCLIENTS_RATE_LIMIT=str(params.rate_limit),
        SYNC_INTERVAL_SECONDS_OVERRIDE=str(params.interval_s),
        REGISTER_RATE_LIMIT_PER_HOUR="1000000",
        HOST="127.0.0.1",
        PORT=str(api_port),
        WEB_CONCURRENCY="1",
        **salons_env(params.companies),
    )
    hook += env["YCLIENTS_WEBHOOK_SECRET"]
    log(f"simulator with {params.salons} salons, limit {params.rate_limit}/s, "
        f"{params.error_rate:.0%} 5xx, {params.webhook_loss:.0%} webhooks lost")  # fmt: skip
    start_simulator(
        procs, sim_port,
        SIMULATOR_COMPANIES=str(params.salons), SIMULATOR_COMPANY_ID=str(FIRST_COMPANY),
        SIMULATOR_RATE_LIMIT=str(params.rate_limit), SIMULATOR_ERROR_RATE=str(params.error_rate),
        SIMULATOR_WEBHOOK_LOSS=str(params.webhook_loss), SIMULATOR_SEED=str(params.seed),
        SIMULATOR_WEBHOOK_URL=hook,
    )  # fmt: skip
    api_proc = procs.start("api", [PYTHON, "-m", "src.entrypoints.cli", "serve"], env)
    wait_http(f"{api}/health", api_proc, timeout=240)  # a shared, busy machine starts slowly
    engine = make_engine(db_url, poolclass=pool.NullPool)
    try:
        async with httpx.AsyncClient(timeout=60) as client:
            # Workers and scheduler boot (slowly on a busy machine) while members register.
            workers = [
                procs.start(f"worker-{i}", [
                    str(VENV_BIN / "taskiq"), "worker", "src.entrypoints.worker:broker",
                    "--workers", "1", "--no-configure-logging",
                ], env)
                for i in range(params.workers)
            ]  # fmt: skip
            scheduler = procs.start("scheduler", [
                str(VENV_BIN / "taskiq"), "scheduler", "src.entrypoints.worker:scheduler",
                "--update-interval", "1",
            ], env)  # fmt: skip
            ids = await register_members(client, api, params.members, log)
            # Before "launch": every member registered so far is trusted (as imported ones).
            await cli(env, "trust-contacts", "--registered-before", datetime.now(UTC).isoformat())
            await cli(env, "generate-unique-codes")
            members = await members_with_codes(engine, ids)
            await add_salons(client, api, params.companies)
            plan = plan_day(
                params.companies, members, hours=params.hours, start=datetime.now(UTC),
                per_hour=params.per_hour, seed=params.seed,
            )  # fmt: skip
            log(f"{len(members)} members; the day: {len(plan.expected)} bookings, "
                f"{len(plan.ops)} changes over {params.hours:g} simulated hours at "
                f"×{params.speedup:g}; sync every {params.interval_s} s")  # fmt: skip
            # The first scheduled cycle (every salon read once, as at any deployment's
            # start) is not the day's: wait for it, then count from zero.
            await first_cycle(engine, params, len(params.companies), log)
            await client.delete(f"{sim}/_control/traffic")
            cpu0 = _cpu(workers, scheduler)
            t0 = time.monotonic()
            day_started = datetime.now(UTC)
            watcher = LagWatcher(engine)
            watching = asyncio.create_task(watcher.run())
            late = await play(client, sim, plan, params.speedup, watcher)
            last_change = time.monotonic()
            log(f"day played in {last_change - t0:.0f} s (latest change {late:.1f} s late); "
                f"one sync interval with no changes")  # fmt: skip
            settled = await settle(engine, params, last_change, len(params.companies))
            watching.cancel()
            await watcher.poll()
            elapsed = time.monotonic() - t0
            cpu1 = _cpu(workers, scheduler)
            traffic = (await client.get(f"{sim}/_control/traffic")).json()
            export = (await client.get(f"{sim}/_control/export")).json()
        compared = await compare(engine, plan, members, export)
        runs = await scheduled_runs(engine, day_started)
    finally:
        await engine.dispose()
    for proc in procs.procs:
        if proc.popen.poll() is not None and proc.name != "simulator":
            log(f"!! {proc.name} exited early:\n{proc.output()}")
    cycles = elapsed / params.interval_s
    extra_pages = runs["extra_pages"] / cycles
    sweep_requests = runs["sweep_requests"] / cycles
    return {
        "soak_salons": params.salons,
        "soak_simulated_hours": params.hours,
        "soak_speedup": params.speedup,
        "soak_workers": params.workers,
        "soak_members": len(members),
        "soak_bookings": len(plan.expected),
        "soak_changes": len(plan.ops),
        "soak_webhook_loss": params.webhook_loss,
        "soak_error_rate": params.error_rate,
        "soak_sync_interval_s": params.interval_s,
        "soak_settled": settled,
        "soak_divergent_bookings": compared["divergent_bookings"],
        "soak_divergent_balances": compared["divergent_balances"],
        "soak_missing_bookings": compared["missing_bookings"],
        "soak_plan_vs_simulator": compared["plan_vs_simulator"],
        "soak_divergence_examples": compared["examples"],
        "soak_simulator_requests": traffic["requests"],
        "soak_simulator_429": traffic["limited_429"],
        "soak_simulator_5xx": traffic["faults_5xx"],
        "soak_max_requests_in_any_second": traffic["max_requests_in_any_second"],
        "soak_per_second_histogram": traffic["per_second_histogram"],
        "soak_webhooks_dropped": traffic["webhook_events_dropped"],
        "soak_webhooks_sent": traffic["webhook_events_sent"],
        "soak_cycles": round(cycles, 2),
        "soak_requests_per_cycle": round(traffic["requests"] / cycles, 1),
        # The goal: 1.2 requests a salon, plus the busy salons' extra pages and the sweeps.
        "soak_requests_goal_per_cycle": round(1.2 * params.salons + extra_pages + sweep_requests),
        "soak_scheduled_runs_per_cycle": round(runs["runs"] / cycles, 1),
        "soak_extra_pages_per_cycle": round(extra_pages, 1),
        "soak_full_sweeps": runs["sweeps"],
        "soak_failed_runs": runs["failed"],
        "soak_changed_salons_per_cycle": changed_salons_per_cycle(plan, params),
        "soak_max_change_lag_s": round(watcher.max_lag, 1),
        "soak_unseen_changes": len(watcher.pending),
        "soak_scheduler_cpu_s_per_cycle": round((cpu1[1] - cpu0[1]) / cycles, 3),
        "soak_workers_cpu_s_per_cycle": round((cpu1[0] - cpu0[0]) / cycles, 3),
        "soak_seconds": round(elapsed, 1),
    }


def _cpu(workers: list[Proc], scheduler: Proc) -> tuple[float, float]:
    return sum(_tree_cpu_seconds(w.pid) for w in workers), _tree_cpu_seconds(scheduler.pid)


async def register_members(
    client: httpx.AsyncClient, api: str, n: int, log: Any
) -> list[int]:  # fmt: skip
    """n members through the API (their codes come later, from `generate-unique-codes`:
    a login and a booking form per member would cost two more password checks each)."""
    sem = asyncio.Semaphore(4)

    async def one(i: int) -> int:
        email, phone = _contacts(i)
        async with sem:
            r = await client.post(
                f"{api}/api/v1/auth/register",
                json={"email": email, "password": PASSWORD, "phone": phone},
            )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])  # fmt: skip

    ids = await asyncio.gather(*(one(i) for i in range(n)))
    log(f"{n} members registered")
    return list(ids)


def _contacts(i: int) -> tuple[str, str]:
    return f"soak{i}@example.com", f"+7 916 {i // 10000:03d}-{i // 100 % 100:02d}-{i % 100:02d}"


async def cli(env: dict[str, str], *args: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        PYTHON, "-m", "src.entrypoints.cli", *args, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    assert proc.returncode == 0, f"cli {args}: {err.decode()}"


async def members_with_codes(engine: Any, ids: list[int]) -> list[Member]:
    """The members as the day uses them: every other one writes their code in comments."""
    async with engine.connect() as conn:
        codes = dict((await conn.execute(text("SELECT id, unique_code FROM users"))).all())
    return [
        Member(uid, *_contacts(i), code=codes[uid] if i % 2 == 0 else None)
        for i, uid in enumerate(ids)
    ]


class LagWatcher:
    """How long each change took to be in the service: polls the bookings' last change."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.pending: dict[int, list[tuple[datetime, float]]] = {}
        self.max_lag = 0.0

    def changed(self, record_id: int, last_change: str, at: float) -> None:
        moment = datetime.strptime(last_change, "%Y-%m-%dT%H:%M:%S%z")
        self.pending.setdefault(record_id, []).append((moment, at))

    async def poll(self) -> None:
        async with self.engine.connect() as conn:
            rows = await conn.execute(text(
                "SELECT yclients_record_id, last_change_at FROM bookings"))  # fmt: skip
            stored = dict(rows.all())
        now = time.monotonic()
        for rid in list(self.pending):
            have = stored.get(rid)
            if have is None:
                continue
            left = [(m, at) for m, at in self.pending[rid] if m > have]
            for _, at in (c for c in self.pending[rid] if c[0] <= have):
                self.max_lag = max(self.max_lag, now - at)
            if left:
                self.pending[rid] = left
            else:
                del self.pending[rid]

    async def run(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            try:
                await self.poll()
            except Exception:  # a busy database: the next poll counts the lag
                continue


async def play(
    client: httpx.AsyncClient, sim: str, plan: DayPlan, speedup: float, watcher: LagWatcher
) -> float:
    """Send the day's operations at their (sped-up) times, in order; the worst lateness."""
    start, worst = time.monotonic(), 0.0
    for op in plan.ops:
        due = start + op.at / speedup
        wait = due - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        worst = max(worst, -wait)
        r = await client.request(op.method, f"{sim}/_control{op.path}", json=op.body)
        assert r.status_code in (200, 201), (op, r.text)
        watcher.changed(op.record_id, r.json()["last_change_date"], time.monotonic())
    return worst


async def scheduled_runs(engine: Any, since: datetime) -> dict[str, int]:
    """The scheduled runs started since `since`: how many, the pages beyond the first, the
    full sweeps and their requests, the failed ones."""
    async with engine.connect() as conn:
        row = (await conn.execute(text(
            "SELECT count(*), coalesce(sum(greatest(requests - 1, 0)), 0), "
            "count(*) FILTER (WHERE kind = 'full'), "
            "coalesce(sum(requests) FILTER (WHERE kind = 'full'), 0), "
            "count(*) FILTER (WHERE status = 'FAILED') "
            "FROM sync_runs WHERE trigger = 'schedule' AND started_at >= :t"), {"t": since},
        )).one()  # fmt: skip
    names = ("runs", "extra_pages", "sweeps", "sweep_requests", "failed")
    return dict(zip(names, row, strict=True))


def cpu_growth(results: list[dict[str, Any]]) -> dict[str, Any]:
    """Scheduler and workers CPU per cycle at each salon count, and how it grows from the
    smallest run to the largest relative to the salons (1.0 = linear, less = sublinear)."""
    small, large = min(results, key=_salons), max(results, key=_salons)
    ratio = _salons(large) / _salons(small)
    out: dict[str, Any] = {}
    for part in ("scheduler", "workers"):
        key = f"soak_{part}_cpu_s_per_cycle"
        out[f"soak_cpu_{part}_by_salons"] = {_salons(r): r[key] for r in results}
        out[f"soak_cpu_{part}_growth_vs_linear"] = round(large[key] / small[key] / ratio, 2)
    return out


def _salons(result: dict[str, Any]) -> int:
    return int(result["soak_salons"])


async def first_cycle(engine: Any, params: SoakParams, salons: int, log: Any) -> None:
    deadline = time.monotonic() + 240 + 3 * params.interval_s
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            done = (await conn.execute(text(
                "SELECT count(DISTINCT company_id) FROM sync_runs WHERE finished_at IS NOT NULL"
            ))).scalar()  # fmt: skip
        if done >= salons:
            log("the first sync cycle has read every salon")
            return
        await asyncio.sleep(1.0)
    raise TimeoutError(f"the first sync cycle did not finish ({done} of {salons} salons)")


async def settle(engine: Any, params: SoakParams, last_change: float, salons: int) -> bool:
    """One sync interval with no changes, then until every salon's sync that started after
    the last change has finished and the inbox is empty (at most two more intervals)."""
    await asyncio.sleep(params.interval_s)
    since = datetime.now(UTC).timestamp() - (time.monotonic() - last_change)
    deadline = time.monotonic() + 2 * params.interval_s + 30
    while time.monotonic() < deadline:
        async with engine.connect() as conn:
            done = (await conn.execute(text(
                "SELECT count(DISTINCT company_id) FROM sync_runs WHERE finished_at IS NOT NULL "
                "AND started_at > to_timestamp(:t)"), {"t": since})).scalar()  # fmt: skip
            pending = (await conn.execute(text(
                "SELECT count(*) FROM webhook_events WHERE state = 'PENDING'"
            ))).scalar()  # fmt: skip
        if done >= salons and pending == 0:
            return True
        await asyncio.sleep(1.0)
    return False


async def compare(
    engine: Any, plan: DayPlan, members: list[Member], export: list[dict[str, Any]]
) -> dict[str, Any]:
    """Every booking and balance against the plan; the plan against the simulator."""
    sim = {r["id"]: r for r in export}
    plan_vs_sim = sum(
        1 for rid, b in plan.expected.items()
        if rid not in sim or (sim[rid]["attendance"], sim[rid]["deleted"],
                              Decimal(str(sim[rid]["price"]))) != (b.attendance, b.deleted, b.price)
    )  # fmt: skip
    async with engine.connect() as conn:
        rows = await conn.execute(text(
            "SELECT yclients_record_id, company_id, status, price, deleted, user_id "
            "FROM bookings"))  # fmt: skip
        stored = {r[0]: r for r in rows.all()}
        balances = dict((await conn.execute(text(
            "SELECT user_id, balance FROM loyalty_accounts"))).all())  # fmt: skip
    examples: list[str] = []
    divergent = missing = 0
    for rid, b in plan.expected.items():
        row = stored.get(rid)
        if row is None:
            missing += 1
            divergent += 1
            examples.append(f"{rid}: missing (want {b.status})")
            continue
        got = (row.company_id, row.status, Decimal(row.price), row.deleted, row.user_id)
        want = (b.company_id, b.status, b.price, b.deleted, b.member)
        if got != want:
            divergent += 1
            examples.append(f"{rid}: got {got}, want {want}")
    due = plan.expected_points(members)
    bad_balances = 0
    for user_id, want_points in due.items():
        have = Decimal(balances.get(user_id, 0))
        if have != want_points:
            bad_balances += 1
            examples.append(f"member {user_id}: balance {have}, want {want_points}")
    return {
        "divergent_bookings": divergent,
        "missing_bookings": missing,
        "divergent_balances": bad_balances,
        "plan_vs_simulator": plan_vs_sim,
        "examples": examples[:10],
    }


def changed_salons_per_cycle(plan: DayPlan, params: SoakParams) -> float:
    """Salons with at least one change per sync interval, on average over the day."""
    per_cycle: dict[int, set[int]] = {}
    for op in plan.ops:
        per_cycle.setdefault(int(op.at / params.speedup // params.interval_s), set()).add(
            op.company_id
        )
    cycles = max(1, math.ceil(params.hours * 3600 / params.speedup / params.interval_s))
    return round(sum(len(s) for s in per_cycle.values()) / cycles, 1)


# --- report ---------------------------------------------------------------------------------


TABLE = [
    ("salons", "soak_salons", None),
    ("simulated hours", "soak_simulated_hours", None),
    ("bookings / changes", "soak_bookings", None),
    ("bookings that differ", "soak_divergent_bookings", "= 0"),
    ("point balances that differ", "soak_divergent_balances", "= 0"),
    ("simulator 429s", "soak_simulator_429", "= 0"),
    ("most requests in any second", "soak_max_requests_in_any_second", "≤ 5"),
    ("requests per sync cycle", "soak_requests_per_cycle", "≤ goal"),
    ("  goal: 1.2 × salons + extra", "soak_requests_goal_per_cycle", None),
    ("salons changed per cycle", "soak_changed_salons_per_cycle", None),
    ("longest change → service (s)", "soak_max_change_lag_s", "≤ interval"),
    ("changes never seen", "soak_unseen_changes", "= 0"),
    ("scheduler CPU s / cycle", "soak_scheduler_cpu_s_per_cycle", None),
    ("workers CPU s / cycle", "soak_workers_cpu_s_per_cycle", None),
]


def table(r: dict[str, Any]) -> str:
    lines = [f"{'':32} {'measured':>12}  goal", "-" * 56]
    for label, key, goal in TABLE:
        value = r.get(key)
        if key == "soak_bookings":
            value = f"{r['soak_bookings']} / {r['soak_changes']}"
        lines.append(f"{label:32} {value!s:>12}  {goal or ''}")
    lines.append(f"sync interval {r['soak_sync_interval_s']} s real, {r['soak_cycles']} cycles, "
                 f"settled: {r['soak_settled']}")  # fmt: skip
    for example in r.get("soak_divergence_examples") or []:
        lines.append(f"  {example}")
    return "\n".join(lines)


def merge_results(results: dict[str, Any], path: Path = RESULTS) -> None:
    """Merge into bench/results.json (one flat object, as bench/run.py writes it)."""
    current: dict[str, Any] = {}
    if path.exists():
        try:
            current = json.loads(path.read_text())
        except json.JSONDecodeError:
            current = {}
    flat = {k: ("; ".join(f"{a}: {b}" for a, b in v.items()) if isinstance(v, dict)
                else "\n".join(map(str, v)) if isinstance(v, list) else v)
            for k, v in results.items()}  # fmt: skip
    current.update(flat)
    path.write_text(json.dumps(current, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100 salons, 1 simulated hour at ×60")
    for name, kind in (("salons", int), ("hours", float), ("speedup", float),
                       ("webhook-loss", float), ("error-rate", float), ("workers", int),
                       ("members", int), ("per-hour", float), ("seed", int)):  # fmt: skip
        parser.add_argument(f"--{name}", type=kind)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--compare", help="salon counts run one after the other, e.g. 100,1000: CPU per cycle "
        "of the scheduler and workers at each (the largest run's keys are written)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    params = QUICK if args.quick else SoakParams()
    given = {k: v for k, v in vars(args).items() if v is not None and k not in ("quick", "out")}
    params = replace(params, **given)
    counts = [int(n) for n in args.compare.split(",")] if args.compare else [params.salons]
    runs = []
    for salons in sorted(counts):
        one = replace(params, salons=salons)
        print(f"soak: {asdict(one)}", flush=True)
        runs.append(asyncio.run(run(one, lambda line: print("   ", line, flush=True))))
    results = runs[-1]
    if len(runs) > 1:
        results |= cpu_growth(runs)
    merge_results(results, args.out)
    print()
    print(table(results))
    for key in (k for k in results if k.startswith("soak_cpu_")):
        print(f"{key}: {results[key]}")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
