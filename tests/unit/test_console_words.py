"""The console's language: Russian by default, English on request; the salon's formats."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from src.entrypoints.console.i18n import LABELS, Words


def test_russian_labels_dates_and_money() -> None:
    words = Words("ru", "Europe/Moscow")
    assert words("members") == "Клиенты"
    assert words("linked", booking=7, member="#2") == "Запись 7 привязана к клиенту #2"
    assert words.money(Decimal("1234.5")) == "1\u202f234,50"
    assert words.when(datetime(2030, 1, 15, 9, 0, tzinfo=UTC)) == "15.01.2030 12:00"


def test_english_on_request() -> None:
    words = Words("en", "Asia/Yekaterinburg")
    assert words("members") == "Members"
    assert words.money(Decimal("1234.5")) == "1,234.50"
    assert words.when(datetime(2030, 1, 15, 9, 0, tzinfo=UTC)) == "2030-01-15 14:00"


def test_every_label_has_both_languages() -> None:
    assert all(len(pair) == 2 and all(pair) for pair in LABELS.values())


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="ADMIN_LANGUAGE"):
        Words("de", "Europe/Moscow")
