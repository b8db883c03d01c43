"""Decimal helpers: money and points are never floats."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(value: Decimal) -> Decimal:
    """Round to 0.01, half up (the rule for points and prices)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
