"""What ties a credential (an API token, a console session) to the password it was issued
under: changing the password ends both."""

from __future__ import annotations

import hashlib

from src.domain.user import User


def password_stamp(user: User) -> str:
    """A short digest of the password hash (new salt on every change): never the hash."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]
