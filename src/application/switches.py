"""Operator switches the use cases consult at call time (settable at runtime and in tests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Switches:
    """`YCLIENTS_ENABLED` and `LOYALTY_ENABLED` from the seed; `verified_contacts_only` is
    `CONTACT_VERIFICATION=required` (email and phone link a booking only when verified)."""

    yclients_enabled: bool = True
    loyalty_enabled: bool = True
    verified_contacts_only: bool = True
