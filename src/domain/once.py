"""One-time keys: a staff action that moves points, links a booking or starts a sync carries
a key chosen by its sender (the console's hidden form field, the API's `Idempotency-Key`
header), and is applied at most once per actor and key."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

MAX_KEY_LENGTH = 100
_KEY = re.compile(r"[A-Za-z0-9._:\-]{8,100}")  # a UUID, a random token: printable, no spaces
KEY_RULE = "8 to 100 letters, digits or . _ : - (a UUID will do)"


def valid_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


@dataclass
class OnceKey:
    """A claimed key: what it was used for (`action`, `fingerprint` of the request) and, once
    the action is done, the answer it got (`result`, opaque text kept for repeats)."""

    actor_id: int
    key: str
    action: str
    fingerprint: str
    created_at: datetime
    result: str | None = None
