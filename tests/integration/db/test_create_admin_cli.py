"""`create-admin EMAIL`: the password comes from ADMIN_PASSWORD or standard input (never argv),
and an existing member is promoted (with that password) instead of the command failing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.users import NewUser
from src.domain.user import Role

ROOT = Path(__file__).resolve().parents[3]


def _cli(url: str, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "ADMIN_PASSWORD"}
    return subprocess.run(
        [sys.executable, "-m", "src.entrypoints.cli", "create-admin", *args],
        env={**clean, "APP_ENV": "dev", "DATABASE_URL": url, **env}, input=stdin,
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip


@pytest.mark.parametrize("source", ["env", "stdin"])
async def test_create_admin_reads_the_password_from_env_or_stdin(
    sqlite_uow_factory: SqlUnitOfWorkFactory, sqlite_url: str, source: str
) -> None:
    secret = "a-long-admin-password"
    if source == "env":
        done = _cli(sqlite_url, "boss@example.com", ADMIN_PASSWORD=secret)
    else:
        done = _cli(sqlite_url, "boss@example.com", stdin=secret + "\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "created admin boss@example.com" in done.stdout
    assert secret not in done.stdout + done.stderr
    async with sqlite_uow_factory() as uow:
        user = await uow.users.get_by_email("boss@example.com")
    assert user is not None and user.role is Role.ADMIN


async def test_create_admin_promotes_an_existing_member_with_the_password_given(
    sqlite_uow_factory: SqlUnitOfWorkFactory, sqlite_url: str
) -> None:
    async with sqlite_uow_factory() as uow:
        member = await uow.users.add(
            NewUser("maria@example.com", "registrants-hash", phone="+79165550001")
        )
        await uow.commit()
    refused = _cli(sqlite_url, "Maria@example.com")  # no password: the account is untouched
    assert refused.returncode == 1 and "ADMIN_PASSWORD" in refused.stderr
    done = _cli(sqlite_url, "Maria@example.com", ADMIN_PASSWORD="the-admins-password")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "password set" in done.stdout and "sign-ins ended" in done.stdout
    assert "phone ending 0001 (unverified)" in done.stdout
    async with sqlite_uow_factory() as uow:
        user = await uow.users.get(member.id)
    assert user is not None and user.role is Role.ADMIN and user.email_verified
    assert user.password_hash != "registrants-hash"


async def test_create_admin_without_a_password_for_a_new_account_fails_clearly(
    sqlite_uow_factory: SqlUnitOfWorkFactory, sqlite_url: str
) -> None:
    done = _cli(sqlite_url, "nobody@example.com")
    assert done.returncode == 1
    assert "ADMIN_PASSWORD" in done.stderr


def test_create_admin_takes_no_password_argument(sqlite_url: str) -> None:
    done = _cli(sqlite_url, "boss@example.com", "a-password-in-argv")
    assert done.returncode == 2  # argparse: unrecognized arguments
