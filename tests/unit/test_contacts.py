from __future__ import annotations

import pytest

from src.domain.contacts import normalize_email, phone_key


@pytest.mark.parametrize(
    "phone", ["+7 (916) 555-12-34", "8 916 555 12 34", "79165551234", "+79165551234", "9165551234"]
)
def test_phone_formats_share_the_last_ten_digits(phone: str) -> None:
    assert phone_key(phone) == "9165551234"


@pytest.mark.parametrize("phone", [None, "", "12345", "+7 (916) 55"])
def test_short_or_missing_phone_has_no_key(phone: str | None) -> None:
    assert phone_key(phone) is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Maria.Ivanova@Example.COM ", "maria.ivanova@example.com"),
        ("", None),
        (None, None),
        ("   ", None),
        ("not-an-email", None),
    ],
)
def test_email_is_trimmed_and_lowercased(raw: str | None, expected: str | None) -> None:
    assert normalize_email(raw) == expected
