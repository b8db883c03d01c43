"""`SYNC_INTERVAL_SECONDS_OVERRIDE`: a soak run's sped-up clock schedules the sync in
seconds; unset, the interval is `SYNC_INTERVAL_MINUTES`, as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from src.adapters.tasks.table import SYNC_ALL
from src.domain.sync_schedule import tick_seconds
from src.entrypoints.settings import SettingsError, load_settings
from src.entrypoints.worker import worker_broker

NO_DOTENV = Path("/nonexistent/.env")


def test_minutes_rule_unless_the_seconds_override_is_set() -> None:
    assert load_settings({}, dotenv=NO_DOTENV).sync_interval_seconds == 30 * 60
    minutes = load_settings({"SYNC_INTERVAL_MINUTES": "5"}, dotenv=NO_DOTENV)
    assert minutes.sync_interval_seconds == 300
    env = {"SYNC_INTERVAL_MINUTES": "5", "SYNC_INTERVAL_SECONDS_OVERRIDE": "15"}
    assert load_settings(env, dotenv=NO_DOTENV).sync_interval_seconds == 15


def test_a_negative_override_is_refused_by_name() -> None:
    with pytest.raises(SettingsError, match="SYNC_INTERVAL_SECONDS_OVERRIDE"):
        load_settings({"SYNC_INTERVAL_SECONDS_OVERRIDE": "-1"}, dotenv=NO_DOTENV)


def test_the_scheduled_sync_runs_at_the_overridden_interval() -> None:
    settings = load_settings(
        {"APP_ENV": "dev", "SYNC_INTERVAL_SECONDS_OVERRIDE": "15"}, dotenv=NO_DOTENV
    )
    task = worker_broker(settings).find_task(SYNC_ALL)
    assert task is not None
    # The scheduler ticks every second at this interval; each salon's slot is 15 s apart.
    assert task.labels["schedule"][0]["interval"] == tick_seconds(15) == 1
