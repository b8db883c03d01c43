"""Operator switches the use cases consult at call time (settable at runtime and in tests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Switches:
    """`YCLIENTS_ENABLED` and `LOYALTY_ENABLED` from the seed."""

    yclients_enabled: bool = True
    loyalty_enabled: bool = True
