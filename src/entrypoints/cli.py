"""Command line: `python -m src.entrypoints.cli COMMAND` (the justfile wraps each one).

run                    the whole service in one process (embedded default)
serve                  the production API (uvicorn, one worker per core)
migrate                apply database migrations
generate-unique-codes  the seed's script: a code for every user without one
sync-bookings          sync every active salon now
add-salon ID NAME      add a salon; prints its webhook URL with the secret (shown once)
salons                 list the salons: status, last sync, webhooks today, held
create-admin EMAIL     make the account with this email an admin with the password given
                       (ADMIN_PASSWORD or standard input, never the command line); an
                       existing account's password is replaced and its sign-ins ended
check-config           exit 2 unless secrets and notifiers (no codes logged) allow production
trust-contacts         mark the emails and phones of members created before
                       --registered-before DATE verified (shared phones skipped); --dry-run
reconcile-points       bring every booking's points in line with its entitlement
expire-points          expire the points whose lots are due (POINTS_TTL_DAYS), send reminders
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from src.adapters.db.engine import DatabaseUnavailable, check_database, describe, is_sqlite
from src.adapters.db.migrate import upgrade
from src.application.errors import AppError
from src.entrypoints.bootstrap import (
    SIMULATOR_PARTNER_TOKEN,
    SIMULATOR_USER_TOKEN,
    Container,
    build_container,
)
from src.entrypoints.http.proxy import proxy_options
from src.entrypoints.logs import configure_logging
from src.entrypoints.settings import Settings, SettingsError, check_notifications, load_settings

log = logging.getLogger("cli")


async def _prepare_database(settings: Settings) -> None:
    await check_database(settings.DATABASE_URL)
    await upgrade(settings.DATABASE_URL)
    log.info("database_ready", extra={"database": describe(settings.DATABASE_URL)})


async def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    await _prepare_database(settings)
    print(f"migrated {describe(settings.DATABASE_URL)} to head")
    return 0


@asynccontextmanager
async def _container(settings: Settings) -> AsyncIterator[Container]:
    """A container on a database known to be reachable, closed afterwards."""
    await check_database(settings.DATABASE_URL)
    container = build_container(settings)
    try:
        yield container
    finally:
        await container.aclose()


async def cmd_generate_codes(settings: Settings, _: argparse.Namespace) -> int:
    async with _container(settings) as container:
        filled = await container.generate_unique_codes()
    print(f"filled {filled} missing unique codes")
    return 0


TRUST_CUTOFF_NEEDED = (
    "trust-contacts needs --registered-before DATE: only accounts created before it are "
    "trusted; give the moment the old system's members were imported (e.g. "
    "--registered-before 2026-12-01), and run it before launch; --dry-run shows what it would do"
)


def parse_cutoff(text: str, zone: str) -> datetime:
    """`2026-12-01` (midnight on the salon's clock, `zone`) or an ISO time (`2026-12-01T09:30`
    on the salon's clock, `...+03:00` as given), as aware UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"--registered-before: {text!r} is not a date (YYYY-MM-DD) or an ISO time"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


async def cmd_trust_contacts(settings: Settings, args: argparse.Namespace) -> int:
    if not args.registered_before:
        print(f"error: {TRUST_CUTOFF_NEEDED}", file=sys.stderr)
        return 2
    try:
        cutoff = parse_cutoff(args.registered_before, settings.ADMIN_TIMEZONE)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    async with _container(settings) as container:
        done = await container.trust_contacts(cutoff, dry_run=args.dry_run)
    would = "would mark" if args.dry_run else "marked"
    print(
        f"{would} {done.emails} emails and {done.phones} phones verified, of accounts created "
        f"before {cutoff.isoformat()}"
    )
    if done.phones_skipped:
        print(
            f"skipped {done.phones_skipped} phones shared by several members (or verified by "
            f"another) across {done.shared_phone_keys} numbers: those members verify them"
        )
    if args.dry_run:
        print("dry run: nothing was changed")
    return 0


async def cmd_sync(settings: Settings, _: argparse.Namespace) -> int:
    async with _container(settings) as container:
        await container.ensure_salons()
        runs = await container.sync_all("cli")
    for run in runs:
        c = run.counts
        print(
            f"company {run.company_id}: {run.status.value} fetched={c.fetched} "
            f"created={c.created} updated={c.updated} unchanged={c.unchanged} "
            f"linked={c.linked} unmatched={c.unmatched} points={c.points_awarded} "
            f"errors={c.errors}" + (f" error={run.error}" if run.error else "")
        )
    return 0 if all(r.status.value in ("SUCCEEDED", "SKIPPED") for r in runs) else 1


async def cmd_add_salon(settings: Settings, args: argparse.Namespace) -> int:
    """The salon's first full sync goes to the workers (REDIS_URL), else runs here before
    the command returns."""
    from src.adapters.tasks.in_process import InProcessRunner
    from src.adapters.tasks.taskiq_runner import TaskiqRunner
    from src.entrypoints.salon_links import public_base_url, webhook_url

    async with _container(settings) as container:
        await container.ensure_salons()
        queue = container.queue
        if isinstance(queue, TaskiqRunner):
            await queue.broker.startup()
        try:
            salon, secret = await container.add_salon(args.id, args.name)
        finally:
            if isinstance(queue, TaskiqRunner):
                await queue.broker.shutdown()
        print(f"added salon {salon.company_id} ({salon.name}), {salon.timezone}, {salon.region}")
        print("webhook URL for YClients (shown once; `just salons` will not show the secret):")
        print(webhook_url(public_base_url(settings), secret))
        if isinstance(queue, InProcessRunner) and settings.YCLIENTS_ENABLED:
            print("running its first sync now...")
            await queue.wait_idle()
    return 0


async def cmd_salons(settings: Settings, _: argparse.Namespace) -> int:
    from src.domain.salon import day_start

    async with _container(settings) as container:
        await container.ensure_salons()
        since = day_start(container.clock.now(), settings.ADMIN_TIMEZONE)
        overview = await container.salons.overview(since)
    print("company_id\tstatus\tlast_sync\tlag_min\twebhooks_today\theld\tname")
    for v in overview.salons:
        last = (
            v.activity.last_sync_at.isoformat(timespec="seconds")
            if v.activity.last_sync_at
            else "-"
        )
        lag = str(int(v.sync_lag.total_seconds() // 60)) if v.sync_lag is not None else "-"
        status = v.salon.status.value + (
            " (shared secret)" if v.salon.accepts_shared_secret else ""
        )
        print(
            f"{v.salon.company_id}\t{status}\t{last}\t{lag}\t"
            f"{v.activity.webhooks_since}\t{v.activity.held}\t{v.salon.name}"
        )
    for a in overview.unknown:
        print(f"{a.company_id}\tunknown\t-\t-\t{a.webhooks_since}\t{a.held}\t(not a salon)")
    return 0


def read_admin_password() -> str | None:
    """ADMIN_PASSWORD, else standard input (a prompt on a terminal, the first line of a
    pipe). Never argv: arguments land in shell history and `ps`."""
    password = os.environ.get("ADMIN_PASSWORD")
    if password:
        return password
    if sys.stdin is None:
        return None
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("the admin's password: ") or None
    return sys.stdin.readline().rstrip("\r\n") or None


async def cmd_reconcile_points(settings: Settings, _: argparse.Namespace) -> int:
    async with _container(settings) as container:
        result = await container.reconcile_points()
    print(
        f"checked {result.checked} bookings in {result.batches} batches, "
        f"net points written {result.points}"
        + ("" if settings.LOYALTY_ENABLED else " (LOYALTY_ENABLED=false: nothing to do)")
    )
    return 0


async def cmd_expire_points(settings: Settings, _: argparse.Namespace) -> int:
    async with _container(settings) as container:
        result = await container.expire_points()
    print(
        f"expired {result.lots} lots ({result.points} points) of {result.members} members, "
        f"{result.reminders} reminders"
        + ("" if settings.POINTS_TTL_DAYS else " (POINTS_TTL_DAYS=0: new points never expire)")
    )
    return 0


async def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    async with _container(settings) as container:
        user, created = await container.ensure_admin(args.email, read_admin_password())
    if created:
        print(f"created admin {user.email} (id {user.id})")
        return 0
    print(
        f"{user.email} (id {user.id}) is an admin: existing account, password set to the one "
        "given, email marked verified, its earlier sign-ins ended"
    )
    if user.phone:
        state = "verified" if user.phone_verified else "unverified"
        print(
            f"note: the account has a phone ending {user.phone[-4:]} ({state}) that whoever "
            "registered it typed; change it in the app if it is not the admin's"
        )
    return 0


async def cmd_run(settings: Settings, _: argparse.Namespace) -> int:
    """API + in-process tasks and schedule + (without tokens) the YClients simulator."""
    import uvicorn

    from src.entrypoints.http.app import create_app
    from src.entrypoints.runtime import Runtime

    await _prepare_database(settings)
    servers: list[uvicorn.Server] = []
    if settings.uses_simulator:
        from src.entrypoints.simulator import SimulatorState, create_simulator_app

        webhook = (
            f"http://{settings.HOST}:{settings.PORT}/api/v1/yclients/webhook"
            f"?secret={settings.YCLIENTS_WEBHOOK_SECRET}"
        )
        state = SimulatorState(
            partner_token=SIMULATOR_PARTNER_TOKEN,
            user_token=SIMULATOR_USER_TOKEN,
            webhook_url=webhook,
        )
        sim = create_simulator_app(state)
        servers.append(
            uvicorn.Server(
                uvicorn.Config(
                    sim, host="127.0.0.1", port=settings.SIMULATOR_PORT, log_level="warning"
                )
            )
        )
        log.warning(
            "yclients_simulator_started",
            extra={
                "reason": "no YCLIENTS_PARTNER_TOKEN/YCLIENTS_USER_TOKEN set",
                "simulator": f"http://127.0.0.1:{settings.SIMULATOR_PORT}",
                "control_api": f"http://127.0.0.1:{settings.SIMULATOR_PORT}/_control",
                "webhooks_to": webhook.split("?")[0],
            },
        )
    container = build_container(settings)
    runtime = Runtime(container)
    app = create_app(container, on_startup=[runtime.start], on_shutdown=[runtime.stop])
    servers.append(
        uvicorn.Server(
            uvicorn.Config(
                app,
                host=settings.HOST,
                port=settings.PORT,
                log_level="info",
                access_log=False,
                **proxy_options(settings),
            )
        )
    )
    try:
        await asyncio.gather(*(s.serve() for s in servers))
    finally:
        await container.aclose()
    return 0


def cmd_serve(settings: Settings, _: argparse.Namespace) -> int:
    """The production API. Tasks go to Redis when REDIS_URL is set; otherwise this one
    process also runs them (and then stays a single worker so the schedule runs once)."""
    import uvicorn

    asyncio.run(_prepare_database_check(settings))
    if is_sqlite(settings.DATABASE_URL):
        log.warning(
            "sqlite_single_machine",
            extra={"database": describe(settings.DATABASE_URL),
                   "reason": "SQLite is for one machine: run every server, worker and scheduler "
                   "there, or use PostgreSQL (DATABASE_URL=postgresql://...)"},
        )  # fmt: skip
    workers = settings.WEB_CONCURRENCY or (os.cpu_count() or 1)
    if not settings.REDIS_URL:
        workers = 1
    uvicorn.run(
        "src.entrypoints.http.app:create_app",
        factory=True,
        host=settings.HOST,
        port=settings.PORT,
        workers=workers,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        **proxy_options(settings),
    )
    return 0


async def _prepare_database_check(settings: Settings) -> None:
    await check_database(settings.DATABASE_URL)


Command = Callable[[Settings, argparse.Namespace], Coroutine[Any, Any, int]]
ASYNC_COMMANDS: dict[str, Command] = {
    "run": cmd_run,
    "migrate": cmd_migrate,
    "generate-unique-codes": cmd_generate_codes,
    "sync-bookings": cmd_sync,
    "add-salon": cmd_add_salon,
    "salons": cmd_salons,
    "create-admin": cmd_create_admin,
    "trust-contacts": cmd_trust_contacts,
    "reconcile-points": cmd_reconcile_points,
    "expire-points": cmd_expire_points,
}
# The commands that serve with the secrets (the one-shot admin commands use neither).
SECRET_COMMANDS = ("run", "serve", "check-config")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cli", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in (*ASYNC_COMMANDS, "serve", "check-config"):
        p = sub.add_parser(name)
        if name == "create-admin":
            p.add_argument("email")
        if name == "trust-contacts":
            p.add_argument("--registered-before", metavar="DATE", help=TRUST_CUTOFF_NEEDED)
            p.add_argument("--dry-run", action="store_true", help="count, change nothing")
        if name == "add-salon":
            p.add_argument("id", type=int, help="the YClients company id")
            p.add_argument("name")
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        if args.command == "run":
            # The one-process development mode: dev rules for itself only, said in its log.
            settings = msgspec.structs.replace(settings, APP_ENV="dev")
        if args.command in SECRET_COMMANDS:
            settings.check_secrets()
            check_notifications(settings)  # no codes in a production log
    except SettingsError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.LOG_LEVEL, settings.LOG_FORMAT)
    if args.command == "check-config":
        print(f"configuration ok (APP_ENV={settings.APP_ENV})")
        return 0
    if args.command == "run":
        log.warning(
            "dev_mode",
            extra={"app_env": "dev", "reason": "`run` is the development mode: default "
                   "secrets are accepted; use serve/worker/scheduler in production"},
        )  # fmt: skip
    try:
        if args.command == "serve":
            return cmd_serve(settings, args)
        return asyncio.run(ASYNC_COMMANDS[args.command](settings, args))
    except DatabaseUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 3
    except AppError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
