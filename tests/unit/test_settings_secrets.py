"""Secrets fail closed: production rules unless APP_ENV=dev is set explicitly."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.entrypoints.settings import (
    DEV_JWT_SECRET,
    DEV_WEBHOOK_SECRET,
    Settings,
    SettingsError,
    load_settings,
)

GOOD_JWT = "j" * 32
GOOD_HOOK = "h" * 32
NO_DOTENV = Path("/nonexistent/.env")


def test_secrets_fail_open_without_app_env_default_secrets_are_refused() -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        load_settings({}, dotenv=NO_DOTENV).check_secrets()
    with pytest.raises(SettingsError, match="YCLIENTS_WEBHOOK_SECRET"):
        load_settings({"JWT_SECRET": GOOD_JWT}, dotenv=NO_DOTENV).check_secrets()


@pytest.mark.parametrize(
    ("jwt", "hook", "field"),
    [
        (DEV_JWT_SECRET, GOOD_HOOK, "JWT_SECRET"),
        ("j" * 31, GOOD_HOOK, "JWT_SECRET"),
        (GOOD_JWT, DEV_WEBHOOK_SECRET, "YCLIENTS_WEBHOOK_SECRET"),
        (GOOD_JWT, "h" * 31, "YCLIENTS_WEBHOOK_SECRET"),
    ],
)
def test_secrets_fail_open_default_or_short_secret_is_refused_outside_dev(
    jwt: str, hook: str, field: str
) -> None:
    for env in ("prod", "production", "DEV", "test"):
        with pytest.raises(SettingsError, match=field):
            Settings(APP_ENV=env, JWT_SECRET=jwt, YCLIENTS_WEBHOOK_SECRET=hook).check_secrets()


def test_explicit_dev_accepts_the_defaults_and_long_secrets_start_anywhere() -> None:
    Settings(APP_ENV="dev").check_secrets()
    Settings(JWT_SECRET=GOOD_JWT, YCLIENTS_WEBHOOK_SECRET=GOOD_HOOK).check_secrets()
    assert not Settings().is_dev
