"""Secrets fail closed: the production commands refuse default or short secrets unless
APP_ENV=dev is set explicitly (a forgotten APP_ENV used to mean dev)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.integration.e2e.conftest import ROOT

LONG = "s" * 40


def _just(recipe: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("APP_ENV", "JWT_", "YCLIENTS_", "DATABASE_", "REDIS_"))
    }
    return subprocess.run(
        ["just", recipe], cwd=ROOT, env={**base, **env}, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("recipe", "env", "field"),
    [
        ("serve", {}, "JWT_SECRET"),  # nothing set: the published defaults
        ("worker", {"JWT_SECRET": "short-but-not-default"}, "JWT_SECRET"),
        ("scheduler", {"JWT_SECRET": LONG, "YCLIENTS_WEBHOOK_SECRET": "x" * 31},
         "YCLIENTS_WEBHOOK_SECRET"),
    ],
)  # fmt: skip
def test_secrets_fail_open_production_commands_refuse_default_or_short_secrets(
    recipe: str, env: dict[str, str], field: str
) -> None:
    done = _just(recipe, **env)
    assert done.returncode != 0, done.stdout + done.stderr
    assert f"configuration error: {field}" in done.stderr


def test_check_config_passes_with_explicit_dev_or_long_secrets() -> None:
    cli = [".venv/bin/python", "-m", "src.entrypoints.cli", "check-config"]
    production = {
        "JWT_SECRET": LONG,
        "YCLIENTS_WEBHOOK_SECRET": LONG,
        "SMTP_HOST": "mail.example.com",
        "SMTP_FROM": "salon@example.com",
        "SMS_PROVIDER": "none",
    }
    for env in ({"APP_ENV": "dev"}, production):
        done = subprocess.run(
            cli, cwd=ROOT, env={"PATH": os.environ["PATH"], **env}, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
