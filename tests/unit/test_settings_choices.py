"""Settings with a fixed set of values are `Literal`s: a bad value fails at load, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.entrypoints.settings import (
    CHOICES,
    Settings,
    SettingsError,
    check_notifications,
    load_settings,
)

NO_DOTENV = Path("/nonexistent/.env")


def test_the_fixed_choice_settings_are_literals() -> None:
    assert CHOICES == {
        "APP_ENV": ("dev", "prod"),
        "LOG_LEVEL": ("CRITICAL", "DEBUG", "ERROR", "INFO", "WARNING"),
        "LOG_FORMAT": ("console", "json"),
        "ADMIN_LANGUAGE": ("en", "ru"),
        "CONTACT_VERIFICATION": ("off", "required"),
        "SMS_PROVIDER": ("console", "none", "smsru"),
    }


@pytest.mark.parametrize(
    ("name", "bad"),
    [
        ("APP_ENV", "production"),
        ("APP_ENV", "DEV"),
        ("LOG_LEVEL", "VERBOSE"),
        ("LOG_FORMAT", "JSON"),
        ("ADMIN_LANGUAGE", "de"),
        ("CONTACT_VERIFICATION", "optional"),
        ("SMS_PROVIDER", "twilio"),
    ],
)
def test_a_value_outside_the_choices_fails_at_load_naming_the_setting(name: str, bad: str) -> None:
    with pytest.raises(SettingsError, match=rf"^{name}: expected one of .*, not '{bad}'$"):
        load_settings({name: bad}, dotenv=NO_DOTENV)


def test_every_choice_loads_and_log_level_takes_any_case() -> None:
    for name, allowed in CHOICES.items():
        for value in allowed:
            assert getattr(load_settings({name: value}, dotenv=NO_DOTENV), name) == value
    assert load_settings({"LOG_LEVEL": " warning "}, dotenv=NO_DOTENV).LOG_LEVEL == "WARNING"


def test_settings_built_in_code_are_checked_by_the_composition_root() -> None:
    with pytest.raises(SettingsError, match=r"^CONTACT_VERIFICATION: expected one of"):
        check_notifications(Settings(APP_ENV="dev", CONTACT_VERIFICATION="maybe"))  # type: ignore[arg-type]
