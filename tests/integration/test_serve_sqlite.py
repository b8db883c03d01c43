"""`serve` on SQLite says that SQLite is for one machine (a second server on another machine
would write a different file, or corrupt a shared one)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

import pytest

from src.entrypoints import cli
from src.entrypoints.settings import Settings

SECRET = "s" * 40


def _serve(monkeypatch: pytest.MonkeyPatch, url: str) -> list[dict[str, Any]]:
    import uvicorn

    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: calls.append(kw))
    settings = Settings(DATABASE_URL=url, JWT_SECRET=SECRET, YCLIENTS_WEBHOOK_SECRET=SECRET)
    assert cli.cmd_serve(settings, argparse.Namespace()) == 0
    return calls


def test_serve_on_sqlite_without_a_single_machine_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cli"):
        calls = _serve(monkeypatch, f"sqlite+aiosqlite:///{tmp_path / 'app.db'}")
    assert calls and calls[0]["workers"] == 1
    [warning] = [r for r in caplog.records if r.getMessage() == "sqlite_single_machine"]
    assert "one machine" in warning.__dict__["reason"]


def test_serve_on_postgresql_does_not_warn(
    pg_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="cli"):
        _serve(monkeypatch, pg_url)
    assert not [r for r in caplog.records if r.getMessage() == "sqlite_single_machine"]
