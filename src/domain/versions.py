"""The version-order rule: which of two versions of one YClients record is the newer.

Versions are ordered by YClients' `last_change_date` (`last_change_at`); of two versions
with the same change time, a deletion wins (YClients may send a delete stamped with the
last version's time). Ingest, the inbox batch planner and the in-memory fake all decide
with this; the database's upsert enforces the same order in SQL (see
`src/adapters/db/booking_writes.py`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Versioned(Protocol):
    @property
    def last_change_at(self) -> datetime: ...

    @property
    def deleted(self) -> bool: ...


def version(v: Versioned) -> tuple[datetime, bool]:
    """The sort key of a version: change time, then deleted over not deleted."""
    return (v.last_change_at, v.deleted)


def supersedes(new: Versioned, old: Versioned | None) -> bool:
    """Whether `new` is a newer version than `old` (anything supersedes nothing)."""
    return old is None or version(new) > version(old)
