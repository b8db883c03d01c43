"""Records set aside: a YClients record we could not map or store, kept with its reason so
one bad record never fails its page and staff can see what was left out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)
class QuarantinedRecord:
    company_id: int
    record_id: int
    source: str  # sync | webhook
    reason: str  # what was wrong, never the value itself (it may be a name or a phone)
    quarantined_at: datetime
    field: str | None = None
    id: int | None = None
