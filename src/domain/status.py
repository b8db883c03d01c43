"""A booking's status: what both a YClients record and a stored booking carry.

Its own module so that `record` and `booking` both import it and not each other."""

from __future__ import annotations

import enum


class BookingStatus(enum.StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    NO_SHOW = "NO_SHOW"


UPCOMING_STATUSES = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})
