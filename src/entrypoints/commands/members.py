"""Member and points commands: codes, trusted contacts, admins, reconciliation, expiry."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from src.entrypoints.commands.common import open_container
from src.entrypoints.settings import Settings


async def cmd_generate_codes(settings: Settings, _: argparse.Namespace) -> int:
    async with open_container(settings) as container:
        filled = await container.upkeep.generate_unique_codes()
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
    async with open_container(settings) as container:
        done = await container.upkeep.trust_contacts(cutoff, dry_run=args.dry_run)
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
    async with open_container(settings) as container:
        result = await container.upkeep.reconcile_points()
    print(
        f"checked {result.checked} bookings in {result.batches} batches, "
        f"net points written {result.points}"
        + ("" if settings.LOYALTY_ENABLED else " (LOYALTY_ENABLED=false: nothing to do)")
    )
    return 0


async def cmd_expire_points(settings: Settings, _: argparse.Namespace) -> int:
    async with open_container(settings) as container:
        result = await container.upkeep.expire_points()
    print(
        f"expired {result.lots} lots ({result.points} points) of {result.members} members, "
        f"{result.reminders} reminders"
        + ("" if settings.POINTS_TTL_DAYS else " (POINTS_TTL_DAYS=0: new points never expire)")
    )
    return 0


async def cmd_create_admin(settings: Settings, args: argparse.Namespace) -> int:
    async with open_container(settings) as container:
        user, created = await container.upkeep.ensure_admin(args.email, read_admin_password())
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
