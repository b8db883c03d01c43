"""Login and registration throttling.

Login attempts are counted per client address and account (a member behind a shared carrier
NAT address is not locked out by strangers, and one address cannot try many passwords on one
account), per address (ten times looser: one address trying a few passwords on very many
accounts) and per account across all addresses (three times looser: an attacker rotating
addresses, or the 2^64 addresses of one IPv6 /64, still gets a bounded number of guesses).
IPv6 clients are counted by their /64. Registration is counted per address.

On top of these windows, each account's consecutive failures slow its logins down
exponentially, whoever the address (`src.domain.login_backoff`: a few free tries, then 1 s,
2 s, 4 s ... up to 5 minutes between attempts, about 300 guesses a day at most); a correct
password ends the streak. A refused attempt answers 429 with Retry-After.

The counters (`AttemptCounters`) are O(1) per attempt with bounded memory; with `REDIS_URL`
they live in Redis and are shared by every process. The per-account limit lets a stranger
keep one account's logins at 429 by spending its budget; that costs them the attempts and
keeps the account's password safe, which is the trade we choose.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Awaitable, Callable
from typing import TypeVar

from litestar.exceptions import TooManyRequestsException

from src.application.ports.auth import AttemptCounters, LoginStreaks

T = TypeVar("T")

DURATION_SECONDS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
CLIENT_FACTOR = 10  # an address may try this many times more, across all accounts
ACCOUNT_FACTOR = 3  # an account may be tried this many times more, across all addresses


def client_key(host: str) -> str:
    """The address an attempt is counted against: IPv6 by its /64 (one subscriber's prefix)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)


def _digest(*parts: str) -> str:
    # Fixed-size keys: no email addresses in Redis, and a hostile 1 MB "email" costs nothing.
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:32]


class LoginThrottle:
    """`hit` raises 429 (with Retry-After) when any of the caller's counters is at its limit."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds

    async def hit(self, counters: AttemptCounters, client: str, account: str) -> None:
        address = client_key(client)
        email = account.strip().lower()
        retry = await counters.hit(
            [
                ("login:" + _digest(address, email), self.limit),
                ("login-client:" + _digest(address), self.limit * CLIENT_FACTOR),
                ("login-account:" + _digest(email), self.limit * ACCOUNT_FACTOR),
            ],
            self.window,
        )
        if retry is not None:
            raise TooManyRequestsException(
                "too many login attempts; try again later", headers={"Retry-After": str(retry)}
            )

    async def attempt(
        self,
        counters: AttemptCounters,
        streaks: LoginStreaks,
        client: str,
        account: str,
        check: Callable[[], Awaitable[T]],
    ) -> T:
        """`check` the password unless a limit or the account's back-off says wait (429).
        The attempt counts as a failure until `check` returns: then the streak ends."""
        await self.hit(counters, client, account)
        key = _digest(account.strip().lower())
        wait = await streaks.admit(key)
        if wait is not None:
            raise TooManyRequestsException(
                f"too many failed logins for this account; try again in {wait} seconds",
                headers={"Retry-After": str(wait)},
            )
        result = await check()
        await streaks.clear(key)
        return result


class RegisterThrottle:
    """Registrations per client address (each costs a password hash and a stored row)."""

    def __init__(self, limit: int, window_seconds: float) -> None:
        self.limit = limit
        self.window = window_seconds

    async def hit(self, counters: AttemptCounters, client: str) -> None:
        key = "register-client:" + _digest(client_key(client))
        retry = await counters.hit([(key, self.limit)], self.window)
        if retry is not None:
            raise TooManyRequestsException(
                "too many registrations from this address; try again later",
                headers={"Retry-After": str(retry)},
            )


class AddressThrottle:
    """Attempts per client address on one kind of route (password reset): the same for
    every email, so a 429 says nothing about which emails exist."""

    def __init__(self, name: str, limit: int, window_seconds: float) -> None:
        self.name = name
        self.limit = limit
        self.window = window_seconds

    async def hit(self, counters: AttemptCounters, client: str) -> None:
        key = f"{self.name}-client:" + _digest(client_key(client))
        retry = await counters.hit([(key, self.limit)], self.window)
        if retry is not None:
            raise TooManyRequestsException(
                "too many requests from this address; try again later",
                headers={"Retry-After": str(retry)},
            )
