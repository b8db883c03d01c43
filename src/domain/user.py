"""Members of the salon's app."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


@dataclass(slots=True)
class NewUser:
    """A member about to be stored (no id yet). `email` is stored normalised; `phone_key` is
    `phone`'s number, as src/domain/contacts.py keys it."""

    email: str
    password_hash: str
    role: Role = Role.USER
    phone: str | None = None
    phone_key: str | None = None
    name: str | None = None
    unique_code: str | None = None
    # When the member proved they own the contact (None = not verified): only a verified
    # email or phone links bookings (CONTACT_VERIFICATION=required).
    email_verified_at: datetime | None = None
    phone_verified_at: datetime | None = None


@dataclass(slots=True)
class User(NewUser):
    """A stored member: a new one's fields plus the id and creation time the store gave it
    (keyword-only)."""

    id: int = field(kw_only=True)
    created_at: datetime | None = field(default=None, kw_only=True)

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None
