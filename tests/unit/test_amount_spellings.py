"""Issue 20 item 8: the adjustment field accepted `1e5` (100,000 points), `1_0` (10) and
`12.345` (rounded silently). One rule now decides what an amount may look like, on the server
(`parse_amount`) and in the browser (the same text as the HTML `pattern`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.domain.money import AMOUNT_PATTERN, AmountError, parse_amount

ACCEPTED = [
    ("5", Decimal("5.00")),
    ("-5", Decimal("-5.00")),
    ("+5", Decimal("5.00")),
    ("- 5", Decimal("-5.00")),
    ("12,3", Decimal("12.30")),
    ("12.30", Decimal("12.30")),
    ("120,50", Decimal("120.50")),
    ("1 000,50", Decimal("1000.50")),
    ("1\u00a0000", Decimal("1000.00")),  # a no-break space, as a copied number has
    ("3\u202f000,00", Decimal("3000.00")),  # the console's own Russian money format
    ("  7  ", Decimal("7.00")),
    ("0,01", Decimal("0.01")),
    ("007", Decimal("7.00")),
]

REFUSED = [
    "1e5",  # an exponent: was 100,000 points
    "1E5",
    "1_0",  # Python's digit separator: was 10
    "12.345",  # a third decimal: was rounded silently
    "12,345",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "",
    "   ",
    "+",
    "-",
    "--5",
    "+-5",
    "5-",
    ".5",
    "5.",
    "1,000.50",  # two separators
    "1.000,50",
    "0x10",
    "١٢",  # Arabic-Indic digits: Decimal would take them
    "１２",  # full-width digits
    "5 баллов",
    "5\n",
    "1" * 40,  # too long to look at
    "1" * 13,  # more digits than any balance
]


@pytest.mark.parametrize(("typed", "expected"), ACCEPTED)
def test_amount_rule_accepts_plain_spellings(typed: str, expected: Decimal) -> None:
    assert parse_amount(typed) == expected


@pytest.mark.parametrize("typed", REFUSED)
def test_amount_rule_refuses_exponents_underscores_extra_decimals_and_nan(typed: str) -> None:
    with pytest.raises(AmountError):
        parse_amount(typed)


def test_the_html_pattern_is_the_server_rule() -> None:
    """The browser wraps `pattern` as ^(?:...)$; Python's fullmatch is the same test."""
    import re

    rule = re.compile(AMOUNT_PATTERN)
    for typed, _ in ACCEPTED:
        assert rule.fullmatch(typed), typed
    for typed in REFUSED[:-2]:  # the last two only fail the length and digit count
        assert not rule.fullmatch(typed), typed
