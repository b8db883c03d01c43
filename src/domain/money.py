"""Decimal helpers: money and points are never floats."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(value: Decimal) -> Decimal:
    """Round to 0.01, half up (the rule for points and prices)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# What staff may type as an amount of points, in the console and the admin API: digits, an
# optional sign, spaces (between digit groups, or around; also the no-break spaces a Russian
# number is printed with) and one decimal comma or point with at most two decimals. Nothing
# else: no exponent (`1e5`), no underscores (`1_0`), no third decimal (`12.345`), no NaN.
# The same text is the console's HTML `pattern`: browsers compile it with the `v` flag, so it
# uses only what both Python's `re` and a JavaScript `v`-flag class accept (`\-` escaped,
# `\u00A0`-style escapes). Groups are separated by at least one space, so matching is linear.
_SPACE = r"[ \u00A0\u202F]"
AMOUNT_PATTERN = (
    rf"{_SPACE}*(?:[+\-]{_SPACE}*)?[0-9]+(?:{_SPACE}+[0-9]+)*(?:[.,][0-9]{{1,2}})?{_SPACE}*"
)
AMOUNT_RULE = (
    "use digits, an optional sign, spaces and one decimal comma or point with at most two "
    "decimals (e.g. 1 000,50)"
)
MAX_AMOUNT_TEXT = 32  # characters looked at; longer is refused before matching
MAX_AMOUNT_DIGITS = 12  # whole-number digits: bounds the Decimal before any use case checks
_AMOUNT = re.compile(AMOUNT_PATTERN)


class AmountError(ValueError):
    """An amount typed in a spelling the rule does not accept; the message says the rule."""


def parse_amount(text: str) -> Decimal:
    """The one rule for amounts staff type (see AMOUNT_PATTERN): `1 000,50` → 1000.50,
    `-5` → -5.00, `12,3` → 12.30. Anything else raises AmountError, never rounds."""
    if len(text) > MAX_AMOUNT_TEXT or _AMOUNT.fullmatch(text) is None:
        raise AmountError(AMOUNT_RULE)
    plain = "".join(ch for ch in text if ch not in " \u00a0\u202f").replace(",", ".")
    whole = plain.lstrip("+-").split(".")[0]
    if len(whole.lstrip("0")) > MAX_AMOUNT_DIGITS:
        raise AmountError(f"at most {MAX_AMOUNT_DIGITS} digits before the decimal separator")
    return quantize(Decimal(plain))
