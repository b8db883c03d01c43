"""Login and registration hardening (issue 13, item 4): timing, the event loop, throttling."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from argon2 import PasswordHasher as Argon2
from litestar.exceptions import TooManyRequestsException

from src.adapters.attempts import MemoryAttemptCounters
from src.adapters.passwords import Argon2Hasher
from src.application.errors import InvalidCredentials
from src.application.use_cases.users import Authenticate, RegisterUser
from src.entrypoints.web.throttle import LoginThrottle, client_key
from tests.fakes.auth import FakeHasher
from tests.unit.conftest import World

CHEAP = Argon2(time_cost=1, memory_cost=8, parallelism=1)  # real argon2, test-sized


async def test_unknown_email_costs_a_hash_check_like_a_wrong_password(world: World) -> None:
    """Skipping argon2 for unknown emails answered in 8 ms instead of 292 ms: enumeration."""
    hasher = FakeHasher()
    await RegisterUser(world.uow_factory, hasher)("known@example.com", "secret123")
    login = Authenticate(world.uow_factory, hasher)
    with pytest.raises(InvalidCredentials):
        await login("known@example.com", "wrong-password")
    with pytest.raises(InvalidCredentials):
        await login("nobody@example.com", "wrong-password")
    assert len(hasher.verified) == 2  # one check for the wrong password, one for the unknown
    assert hasher.verified[1] != hasher.verified[0]  # a dummy hash, not another member's


async def test_unknown_email_timing_matches_a_wrong_password(world: World) -> None:
    hasher = Argon2Hasher(Argon2(time_cost=3, memory_cost=2**15, parallelism=1))
    await RegisterUser(world.uow_factory, hasher)("known@example.com", "secret123")
    login = Authenticate(world.uow_factory, hasher)
    await login.dummy_hash()  # made once, at the first unknown email

    async def timed(email: str) -> float:
        started = time.perf_counter()
        with pytest.raises(InvalidCredentials):
            await login(email, "wrong-password")
        return time.perf_counter() - started

    known = min([await timed("known@example.com") for _ in range(3)])
    unknown = min([await timed("nobody@example.com") for _ in range(3)])
    assert unknown > known * 0.5, (known, unknown)


async def test_argon2_runs_in_a_worker_thread_not_on_the_event_loop() -> None:
    """20 concurrent registrations hashed on the loop pushed /health to 6.2 s."""
    threads: list[int] = []

    class Recording(Argon2):
        def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
            threads.append(threading.get_ident())
            return CHEAP.hash(password)

        def verify(self, hash: str | bytes, password: str | bytes) -> bool:
            threads.append(threading.get_ident())
            return CHEAP.verify(hash, password)

    hasher = Argon2Hasher(Recording())
    stored = await hasher.hash("secret123")
    assert await hasher.verify(stored, "secret123")
    assert not await hasher.verify(stored, "wrong")
    assert len(threads) == 3
    assert threading.get_ident() not in threads


async def test_event_loop_stays_responsive_while_hashing() -> None:
    hasher = Argon2Hasher(Argon2(time_cost=2, memory_cost=2**15, parallelism=1))
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            started = time.perf_counter()
            await asyncio.sleep(0.005)
            lags.append(time.perf_counter() - started - 0.005)

    task = asyncio.create_task(ticker())
    await asyncio.gather(*(hasher.hash(f"password{i}") for i in range(8)))
    task.cancel()
    assert lags and max(lags) < 0.2, max(lags)


async def test_login_throttle_limits_one_account_across_addresses() -> None:
    """Rotating addresses gave unlimited guesses on one account."""
    counters = MemoryAttemptCounters(clock=lambda: 0.0)
    throttle = LoginThrottle(2, 60)
    for i in range(6):  # three times the per-address limit, from six addresses
        await throttle.hit(counters, f"10.0.{i}.1", "victim@example.com")
    with pytest.raises(TooManyRequestsException):
        await throttle.hit(counters, "10.9.9.9", " Victim@Example.com")
    await throttle.hit(counters, "10.9.9.9", "someone-else@example.com")


async def test_login_throttle_counts_an_ipv6_slash64_as_one_address() -> None:
    counters = MemoryAttemptCounters(clock=lambda: 0.0)
    throttle = LoginThrottle(2, 60)
    await throttle.hit(counters, "2001:db8:1:2::1", "a@example.com")
    await throttle.hit(counters, "2001:db8:1:2:ffff::9", "a@example.com")
    with pytest.raises(TooManyRequestsException):
        await throttle.hit(counters, "2001:db8:1:2:abcd::7", "a@example.com")
    assert client_key("::ffff:10.0.0.1") == "10.0.0.1"
    assert client_key("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"


async def test_throttle_memory_is_bounded_and_each_attempt_is_o1() -> None:
    """The old per-attempt prune scanned every key once over 10,000 live ones."""
    counters = MemoryAttemptCounters(max_keys=5_000, clock=lambda: 0.0)
    throttle = LoginThrottle(10, 60)

    async def attempts(start: int, n: int) -> float:
        started = time.perf_counter()
        for i in range(start, start + n):
            await throttle.hit(counters, f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}", f"u{i}")
        return time.perf_counter() - started

    small = await attempts(0, 1_000)
    await attempts(1_000, 30_000)
    large = await attempts(31_000, 1_000)
    assert len(counters) <= 5_000
    assert large < small * 5 + 0.05, (small, large)
