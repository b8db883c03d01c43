"""RunOnce: a staff action applied at most once per (actor, one-time key).

Invariant: for one actor and key, the action's `run` completes at most once, whatever the
double-clicks, resubmitted forms, replayed requests or concurrent workers. Enforced by the
database: the key is the primary key of `once_keys` and is claimed (inserted and committed)
before `run` starts; a second request with the key finds the row and answers with the first
request's stored result (waiting a little while the first is still running). A `run` that
fails gives its key back (nothing was applied; sending the same key again retries). A process
that dies inside `run` leaves its key claimed without a result: repeats of that key are then
refused ("still being processed") rather than risking a second application; a new form (a new
key) is the way on. Keys are kept for KEEP (and purged as new ones are claimed).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import timedelta

from src.application.errors import Conflict, ValidationFailed
from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWorkFactory
from src.domain.once import KEY_RULE, OnceKey, valid_key

KEEP = timedelta(days=7)
WAIT_SECONDS = 10.0  # how long a repeat waits for the first request's answer
POLL_SECONDS = 0.05


class KeyReused(ValidationFailed):
    code = "idempotency_key_reused"


class StillRunning(Conflict):
    code = "idempotency_key_in_progress"


def fingerprint(*parts: object) -> str:
    """What a request asked for, as a digest: the same key with another request is refused."""
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()


class RunOnce:
    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        wait_seconds: float = WAIT_SECONDS,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.wait_seconds = wait_seconds

    async def __call__(
        self,
        actor_id: int,
        key: str,
        action: str,
        request_fingerprint: str,
        run: Callable[[], Awaitable[str]],
    ) -> str:
        """`run`'s result (text the caller can answer from again), from this call or from the
        first call with this actor and key."""
        if not valid_key(key):
            raise ValidationFailed(f"one-time key: {KEY_RULE}")
        waited = 0.0
        while True:
            claim = OnceKey(actor_id, key, action, request_fingerprint, self.clock.now())
            async with self.uow_factory() as uow:
                claimed = await uow.once_keys.claim(claim)
                prior = None if claimed else await uow.once_keys.get(actor_id, key)
                if claimed:
                    await uow.once_keys.purge(claim.created_at - KEEP)
                await uow.commit()
            if claimed:
                return await self._run(claim, run)
            if prior is None:
                continue  # the first request failed and gave the key back: ours to run
            if prior.action != action or prior.fingerprint != request_fingerprint:
                raise KeyReused(
                    "one-time key: already used for another request (a new form or key, please)"
                )
            if prior.result is not None:
                return prior.result
            if waited >= self.wait_seconds:
                raise StillRunning(
                    "one-time key: the first request with this key is still being processed"
                )
            await asyncio.sleep(POLL_SECONDS)
            waited += POLL_SECONDS

    async def _run(self, claim: OnceKey, run: Callable[[], Awaitable[str]]) -> str:
        try:
            result = await run()
        except BaseException:
            async with self.uow_factory() as uow:
                await uow.once_keys.forget(claim.actor_id, claim.key)
                await uow.commit()
            raise
        async with self.uow_factory() as uow:
            await uow.once_keys.finish(claim.actor_id, claim.key, result)
            await uow.commit()
        return result
