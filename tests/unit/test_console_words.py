"""The console's language: Russian by default, English on request; the salon's formats."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from src.entrypoints.console.i18n import LABELS, Words

TEMPLATES = Path(__file__).parents[2] / "src" / "entrypoints" / "console" / "templates"


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


def test_days_and_wall_clock_times() -> None:
    visit = datetime(2030, 1, 15, 12, 5, tzinfo=timezone(timedelta(hours=5)))
    assert Words("ru", "Europe/Moscow").day(date(2030, 1, 15)) == "15.01.2030"
    assert Words("en", "Europe/Moscow").day(date(2030, 1, 15)) == "2030-01-15"
    assert Words("ru", "Europe/Moscow").clock(visit) == "12:05"  # the visit's own offset


def test_every_label_a_template_uses_exists() -> None:
    used = {
        key
        for template in TEMPLATES.glob("*.html")
        for key in re.findall(r"""\bt\(["'](\w+)["']""", template.read_text())
    }
    assert used, "no labels found: the pattern is out of date"
    assert not used - LABELS.keys(), sorted(used - LABELS.keys())


def test_durations() -> None:
    assert Words("ru", "Europe/Moscow").seconds(1.25) == "1,2"
    assert Words("en", "Europe/Moscow").seconds(12) == "12.0"


def test_unmatched_reasons_read_back_what_the_resolver_wrote() -> None:
    from src.domain.unmatched import Miss, Tried, describe, parse

    misses = [
        Miss(Tried.CODE, "ABC23456"), Miss(Tried.EMAIL, "a@b.ru"), Miss(Tried.PHONE, "…1234", 2),
        Miss(Tried.UNREADABLE_PHONE), Miss(Tried.NO_CONTACTS),
    ]  # fmt: skip
    text = describe(misses)
    assert text.startswith("code ABC23456 belongs to no user; email a@b.ru matches no user;")
    assert "phone …1234 is shared by 2 users" in text  # the API's English text, unchanged
    assert parse(text) == misses
    assert parse("something new") == [Miss(Tried.OTHER, "something new")]


def test_codes_and_reasons_in_staffs_words() -> None:
    from src.domain.loyalty import EntryKind
    from src.domain.status import BookingStatus
    from src.entrypoints.console.words import describe_misses, rub, word

    ru, en = Words("ru", "Europe/Moscow"), Words("en", "Europe/Moscow")
    assert word(ru, BookingStatus.COMPLETED) == "Клиент пришёл"
    assert word(en, BookingStatus.NO_SHOW) == "No-show"
    assert word(ru, EntryKind.EXPIRY) == "Сгорание"
    assert word(ru, "manual", "trigger") == "вручную"
    assert rub(ru, Decimal("8000")) == "8\u202f000,00\u00a0₽"
    assert describe_misses(ru, "phone …1234 matches no user") == [
        "телефон …1234 не найден у клиентов"
    ]
