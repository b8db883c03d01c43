"""Password hashing with argon2id (argon2-cffi's recommended parameters).

Each hash costs tens to hundreds of milliseconds of CPU, so it runs in a worker thread
(argon2-cffi releases the GIL) and never on the event loop; a limiter keeps at most one hash
per core in flight so a burst of logins queues instead of starving everything else.
"""

from __future__ import annotations

import os

import anyio.to_thread
from anyio import CapacityLimiter
from argon2 import PasswordHasher as _Argon2
from argon2.exceptions import InvalidHashError, VerificationError


class Argon2Hasher:
    def __init__(self, hasher: _Argon2 | None = None, max_parallel: int | None = None) -> None:
        self._hasher = hasher or _Argon2()
        self._max_parallel = max_parallel or os.cpu_count() or 1
        self._limiter: CapacityLimiter | None = None  # made lazily: it belongs to a loop

    def _limit(self) -> CapacityLimiter:
        if self._limiter is None:
            self._limiter = CapacityLimiter(self._max_parallel)
        return self._limiter

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password, limiter=self._limit())

    async def verify(self, password_hash: str, password: str) -> bool:
        return await anyio.to_thread.run_sync(
            self._verify, password_hash, password, limiter=self._limit()
        )

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
