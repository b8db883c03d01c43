"""Normalisation of the contact data that links a booking to a user."""

from __future__ import annotations

import re

PHONE_KEY_DIGITS = 10
_NOT_DIGITS = re.compile("[^0-9]+")  # ASCII digits only


def normalize_email(email: str | None) -> str | None:
    """Trimmed, lower-cased email; None when empty or obviously not an email."""
    if not email:
        return None
    value = email.strip().lower()
    return value if "@" in value else None


def phone_key(phone: str | None) -> str | None:
    """The last 10 digits of a phone: `+7 (916) 555-12-34`, `8 916 555 12 34` and
    `79165551234` all give `9165551234`. None when fewer than 10 digits."""
    if not phone:
        return None
    digits = _NOT_DIGITS.sub("", phone)
    if len(digits) < PHONE_KEY_DIGITS:
        return None
    return digits[-PHONE_KEY_DIGITS:]
