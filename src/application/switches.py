"""Operator switches the use cases consult at call time (settable at runtime and in tests)."""

from __future__ import annotations

from dataclasses import dataclass

from src.domain.contacts import DEFAULT_REGION


@dataclass(slots=True)
class Switches:
    """`YCLIENTS_ENABLED` and `LOYALTY_ENABLED` from the seed; `verified_contacts_only` is
    `CONTACT_VERIFICATION=required` (email and phone link a booking only when verified)."""

    yclients_enabled: bool = True
    loyalty_enabled: bool = True
    verified_contacts_only: bool = True
    # `SALON_REGION`: how a phone written without its country code is read (bookings,
    # registration); not meant to change at runtime, as stored phone keys depend on it.
    phone_region: str = DEFAULT_REGION
