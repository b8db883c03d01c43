"""Verification codes: six digits sent to an email or phone, kept only as a keyed digest.

A code proves that whoever types it reads the contact it was sent to: it verifies a member's
email or phone (only verified contacts link bookings) or resets a password. Codes expire
after `CODE_TTL`, die after `MAX_WRONG_TRIES` wrong tries, and are used once. Wrong tries also
add up across codes: `WRONG_CODES_PER_DAY` per member and purpose in any day, then no code of
that purpose works (a new code does not give new guesses).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_WRONG_TRIES = 5
RESEND_GAP = timedelta(minutes=1)  # at most one code a minute per contact and per account
SENDS_PER_HOUR = 5  # ... and five an hour
SEND_WINDOW = timedelta(hours=1)
WRONG_CODES_PER_DAY = 10  # per member and purpose, across every code sent
WRONG_CODES_WINDOW = timedelta(days=1)
# A code is tried until it expires, so the tries of the last day belong to codes created in
# the last day and one TTL: those are kept and counted.
KEEP_CODES = WRONG_CODES_WINDOW + CODE_TTL


class Purpose(enum.StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    PASSWORD_RESET = "password_reset"


@dataclass(slots=True)
class VerificationCode:
    """A code sent to `contact` (a normalised email, or a phone's key: its E.164 number)."""

    purpose: Purpose
    user_id: int
    contact: str
    code_hash: str
    created_at: datetime
    expires_at: datetime
    attempts: int = 0  # wrong tries so far
    consumed_at: datetime | None = None
    id: int | None = None

    def expired(self, now: datetime) -> bool:
        return now >= self.expires_at

    @property
    def exhausted(self) -> bool:
        return self.attempts >= MAX_WRONG_TRIES


def wrong_codes_blocked_until(codes: Iterable[VerificationCode], now: datetime) -> datetime | None:
    """When the member's wrong tries of one purpose (its `codes`) reached
    `WRONG_CODES_PER_DAY` within the last day, the moment enough of them age out for a code
    to work again; None while tries are left. Counting by the codes' creation (a try comes at
    most `CODE_TTL` after it) over `KEEP_CODES` bounds the wrong tries of every day-long
    window, however many codes were sent."""
    counted = sorted(
        (c for c in codes if c.attempts and c.created_at >= now - KEEP_CODES),
        key=lambda c: c.created_at,
    )
    total = sum(c.attempts for c in counted)
    for code in counted:
        if total < WRONG_CODES_PER_DAY:
            break
        total -= code.attempts
        if total < WRONG_CODES_PER_DAY:
            return code.created_at + KEEP_CODES
    return None


def new_code() -> str:
    """Six random digits (leading zeros kept)."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_digest(secret: str, purpose: Purpose, user_id: int, contact: str, code: str) -> str:
    """HMAC-SHA256 of the code, bound to its purpose, member and contact: a stolen table of
    digests cannot be checked against the million codes without the secret, and a digest
    is worth nothing for another member, contact or purpose."""
    message = f"{purpose.value}\x00{user_id}\x00{contact}\x00{code}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Constant-time comparison: the time taken does not tell how much of a code was right."""
    return hmac.compare_digest(a.encode(), b.encode())
