"""Clients the desk marked "not a member": their unmatched bookings leave the to-do list.

A client is remembered by what the stored bookings carry about them. YClients records come
with the client's phone and email but the bookings keep no YClients client id, so the key is
the phone's key (src/domain/contacts.py; the bookings index it), or the normalised email for
a booking without a readable phone. A booking with neither cannot be remembered."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from src.domain.contacts import DEFAULT_REGION, normalize_email, phone_key


class ClientKind(enum.StrEnum):
    PHONE = "phone"
    EMAIL = "email"


class ClientKey(NamedTuple):
    kind: ClientKind
    value: str  # a phone key or a normalised email


def client_key(
    phone: str | None, email: str | None, region: str = DEFAULT_REGION
) -> ClientKey | None:
    """Who booked, as the desk remembers them: the phone first, else the email."""
    key = phone_key(phone, region)
    if key:
        return ClientKey(ClientKind.PHONE, key)
    mail = normalize_email(email)
    return ClientKey(ClientKind.EMAIL, mail) if mail else None


@dataclass(frozen=True, slots=True)
class DismissedClient:
    key: ClientKey
    dismissed_by: int  # the staff member's user id
    dismissed_at: datetime
