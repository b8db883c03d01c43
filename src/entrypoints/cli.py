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
import sys
from collections.abc import Callable, Coroutine
from typing import Any

import msgspec

from src.adapters.db.engine import DatabaseUnavailable
from src.application.errors import AppError
from src.entrypoints.commands.members import (
    TRUST_CUTOFF_NEEDED,
    cmd_create_admin,
    cmd_expire_points,
    cmd_generate_codes,
    cmd_reconcile_points,
    cmd_trust_contacts,
)
from src.entrypoints.commands.salons import cmd_add_salon, cmd_salons, cmd_sync
from src.entrypoints.commands.serving import cmd_migrate, cmd_run, cmd_serve
from src.entrypoints.logs import configure_logging
from src.entrypoints.settings import (
    Settings,
    SettingsError,
    check_notifications,
    load_settings,
)

__all__ = ["cmd_serve", "main"]

log = logging.getLogger("cli")


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
