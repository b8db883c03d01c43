"""`trust-contacts` after launch (issue 20, item 7): without a cutoff it refuses; with
`--registered-before` only older accounts are trusted; `--dry-run` changes nothing; the
`just` recipe passes the arguments through."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from src.adapters.db.models import UserRow
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.application.ports.users import NewUser

ROOT = Path(__file__).resolve().parents[3]


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "src.entrypoints.cli", "trust-contacts", *args],
        env={**os.environ, "APP_ENV": "dev", "DATABASE_URL": url}, capture_output=True,
        text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip


async def _verified(factory: SqlUnitOfWorkFactory, *ids: int) -> list[tuple[bool, bool]]:
    async with factory() as uow:
        users = [await uow.users.get(i) for i in ids]
    return [(u.email_verified, u.phone_verified) for u in users if u is not None]


async def test_trust_contacts_without_a_cutoff_is_refused_and_trusts_only_older_accounts(
    sqlite_uow_factory: SqlUnitOfWorkFactory, sqlite_url: str
) -> None:
    async with sqlite_uow_factory() as uow:
        imported = await uow.users.add(
            NewUser("imported@example.com", "h", phone="+79030000001", phone_key="9030000001")
        )
        stranger = await uow.users.add(
            NewUser("stranger@example.com", "h", phone="+79161112233", phone_key="9161112233")
        )
        await uow.commit()
    async with sqlite_uow_factory.engine.begin() as conn:
        await conn.execute(
            update(UserRow)
            .where(UserRow.id == imported.id)
            .values(created_at=datetime(2020, 1, 1, tzinfo=UTC))
        )
    cutoff = (date.today() - timedelta(days=1)).isoformat()  # the stranger came after it

    refused = _cli(sqlite_url)
    assert refused.returncode == 2
    assert "--registered-before" in refused.stderr and "before launch" in refused.stderr
    bad = _cli(sqlite_url, "--registered-before", "last tuesday")
    assert bad.returncode == 2 and "not a date" in bad.stderr
    assert await _verified(sqlite_uow_factory, imported.id, stranger.id) == [(False, False)] * 2

    dry = _cli(sqlite_url, "--registered-before", cutoff, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert "would mark 1 emails and 1 phones" in dry.stdout and "nothing was changed" in dry.stdout
    assert await _verified(sqlite_uow_factory, imported.id, stranger.id) == [(False, False)] * 2

    done = _cli(sqlite_url, "--registered-before", cutoff)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "marked 1 emails and 1 phones" in done.stdout
    trusted = await _verified(sqlite_uow_factory, imported.id, stranger.id)
    assert trusted == [(True, True), (False, False)]


@pytest.mark.skipif(shutil.which("just") is None, reason="needs `just`")
def test_the_just_recipe_passes_the_cutoff_and_dry_run_through() -> None:
    shown = subprocess.run(
        ["just", "--dry-run", "trust-contacts", "--registered-before", "2026-12-01", "--dry-run"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert "cli trust-contacts --registered-before 2026-12-01 --dry-run" in shown.stderr
