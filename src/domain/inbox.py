"""The durable webhook inbox: what YClients sent us, and what became of it."""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime


class EventState(enum.StrEnum):
    PENDING = "PENDING"  # stored, not processed yet (or being retried)
    PROCESSED = "PROCESSED"
    IGNORED = "IGNORED"  # a resource we do not handle (client, finances, ...)
    DEAD = "DEAD"  # failed after the last retry; an admin can replay it
    HELD = "HELD"  # its salon is paused or unknown: kept, processed once the salon is active


RECORD_RESOURCE = "record"
# The inbox columns' widths: longer values are refused before they reach a batch.
MAX_RESOURCE_LENGTH = 64
MAX_STATUS_LENGTH = 32


@dataclass(slots=True)
class WebhookEvent:
    company_id: int
    resource: str
    resource_id: int
    event_status: str  # create | update | delete
    body: bytes
    dedupe_key: str
    received_at: datetime
    state: EventState = EventState.PENDING
    attempts: int = 0
    last_error: str | None = None
    processed_at: datetime | None = None
    attempted_at: datetime | None = None  # when a worker last started or finished an attempt
    retry_at: datetime | None = None  # a failed event is claimed by a batch again from then
    id: int | None = None


def dedupe_key(body: bytes) -> str:
    """Identical deliveries share a key: the SHA-256 of the raw body."""
    return hashlib.sha256(body).hexdigest()
