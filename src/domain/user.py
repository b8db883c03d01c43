"""Members of the salon's app."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime


class Role(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


@dataclass(slots=True)
class User:
    """A member. `email` is stored normalised; `phone_key` is `phone`'s number, as
    src/domain/contacts.py keys it."""

    id: int
    email: str
    password_hash: str
    role: Role = Role.USER
    phone: str | None = None
    phone_key: str | None = None
    name: str | None = None
    unique_code: str | None = None
    created_at: datetime | None = None
    # When the member proved they own the contact (None = not verified): only a verified
    # email or phone links bookings (CONTACT_VERIFICATION=required).
    email_verified_at: datetime | None = None
    phone_verified_at: datetime | None = None

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def phone_verified(self) -> bool:
        return self.phone_verified_at is not None
