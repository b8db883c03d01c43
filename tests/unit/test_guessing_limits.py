"""Issue 20, item 4: guessing limits that add up (verification and reset codes, logins)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.exceptions import TooManyRequestsException

from src.adapters.attempts import MemoryAttemptCounters, MemoryLoginStreaks
from src.application.errors import InvalidCode, InvalidCredentials, RateLimited
from src.application.use_cases.users import Authenticate, RegisterUser
from src.domain.contacts import phone_key
from src.domain.login_backoff import (
    FREE_FAILURES,
    MAX_DELAY,
    Streak,
    admit,
    delay_after,
    max_guesses_per_day,
)
from src.domain.verification import WRONG_CODES_PER_DAY, Purpose
from src.entrypoints.web.throttle import LoginThrottle
from tests.fakes.auth import FakeHasher
from tests.unit.conftest import World
from tests.unit.verification_flows import Flows

PASSWORD = "secret123"
PHONE = "+7 916 111-22-33"
DAY = timedelta(days=1)


@pytest.fixture
def flows(world: World) -> Flows:
    return Flows(world)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def _guess_reset(flows: Flows, code: str) -> bool:
    """One reset confirmation; True when it changed the password."""
    try:
        await flows.reset_confirm("maria@example.com", code, "attacker-password")
    except InvalidCode:
        return False
    return True


async def test_new_reset_codes_reset_the_wrong_try_count(flows: Flows) -> None:
    """Each reset code gave five fresh tries: 25 guesses an hour at any account's reset.
    Now ten wrong codes a day across codes, then no code works, and the owner is told."""
    await flows.register("maria@example.com", PASSWORD)
    guesses = 0
    for _ in range(5):  # five codes an hour, each tried five times
        flows.world.clock.advance(minutes=2)
        await flows.reset_request("maria@example.com")
        code = flows.last_code(Purpose.PASSWORD_RESET)
        for _ in range(5):
            assert not await _guess_reset(flows, wrong(code))
            guesses += 1
    tries = sum(c.attempts for c in flows.world.store.codes.values())
    assert tries == WRONG_CODES_PER_DAY  # guesses past the allowance were not even compared
    # The right code of a new code does not work either (none is sent until the day is over).
    flows.world.clock.advance(hours=2)
    sent = flows.sent()
    await flows.reset_request("maria@example.com")
    assert flows.sent() == sent
    # The owner was told by email, once.
    notices = [m for m in flows.notifier.emails if m[1] == "Too many wrong codes"]
    assert len(notices) == 1 and notices[0][0] == "maria@example.com"
    assert "reset your password" in notices[0][2]
    # A day after the tries, a new code works.
    flows.world.clock.advance(hours=23)
    await flows.reset_request("maria@example.com")
    assert await _guess_reset(flows, flows.last_code(Purpose.PASSWORD_RESET))


async def test_used_up_allowance_refuses_even_the_right_code(flows: Flows) -> None:
    user = await flows.register("maria@example.com", PASSWORD)
    for _ in range(2):
        flows.world.clock.advance(minutes=2)
        await flows.resend(user.id, Purpose.EMAIL)
        code = flows.last_code(Purpose.EMAIL)
        for _ in range(5):
            with pytest.raises((InvalidCode, RateLimited)):
                await flows.verify(user.id, Purpose.EMAIL, wrong(code))
    flows.world.clock.advance(minutes=2)
    with pytest.raises(RateLimited, match="wrong codes") as limited:
        await flows.resend(user.id, Purpose.EMAIL)
    assert 0 < limited.value.retry_after <= (DAY + timedelta(minutes=10)).total_seconds()
    with pytest.raises(RateLimited, match="no code works"):
        await flows.verify(user.id, Purpose.EMAIL, code)
    assert flows.world.store.users[user.id].email_verified_at is None


# Programs of a guesser: wait some seconds, ask for a new code, or guess wrong.
_steps = st.lists(
    st.one_of(
        st.tuples(st.just("wait"), st.integers(min_value=1, max_value=6 * 3600)),
        st.tuples(st.just("code"), st.just(0)),
        st.tuples(st.just("guess"), st.integers(min_value=1, max_value=8)),
    ),
    max_size=80,
)


@given(_steps, st.sampled_from([Purpose.PASSWORD_RESET, Purpose.EMAIL, Purpose.PHONE]))
def test_wrong_codes_never_exceed_the_daily_allowance_whatever_the_codes(
    program: list[tuple[str, int]], purpose: Purpose
) -> None:
    """Whatever sequence of new codes and guesses, at most WRONG_CODES_PER_DAY wrong codes
    are compared in any day-long window, per account and purpose."""

    async def run() -> list[datetime]:
        flows = Flows(World())
        user = await flows.register("maria@example.com", PASSWORD, phone=PHONE)
        compared: list[datetime] = []
        for kind, n in program:
            if kind == "wait":
                flows.world.clock.advance(seconds=n)
                continue
            if kind == "code":
                try:
                    if purpose is Purpose.PASSWORD_RESET:
                        await flows.reset_request("maria@example.com")
                    else:
                        await flows.resend(user.id, purpose)
                except RateLimited:
                    pass
                continue
            for _ in range(n):
                before = sum(c.attempts for c in flows.world.store.codes.values())
                try:
                    if purpose is Purpose.PASSWORD_RESET:
                        await flows.reset_confirm("maria@example.com", "000000", "x" * 10)
                    else:
                        await flows.verify(user.id, purpose, "000000")
                except (InvalidCode, RateLimited):
                    pass
                else:  # a lucky 000000: not a wrong code
                    continue
                if sum(c.attempts for c in flows.world.store.codes.values()) > before:
                    compared.append(flows.world.clock.now())
        return compared

    compared = asyncio.run(run())
    for i, start in enumerate(compared):
        in_window = [t for t in compared[i:] if t < start + DAY]
        assert len(in_window) <= WRONG_CODES_PER_DAY, (start, in_window)


async def test_a_reset_request_does_not_stop_the_owner_verifying_their_email(
    flows: Flows,
) -> None:
    """Reset requests (anyone can ask for them) spent the email's send allowance."""
    user = await flows.register("maria@example.com", PASSWORD)
    for _ in range(5):
        flows.world.clock.advance(seconds=61)
        await flows.reset_request("maria@example.com")  # a stranger, five times an hour
    flows.world.clock.advance(seconds=61)
    await flows.resend(user.id, Purpose.EMAIL)  # the owner's own code still goes out
    await flows.verify(user.id, Purpose.EMAIL, flows.last_code(Purpose.EMAIL))
    assert flows.world.store.users[user.id].email_verified_at is not None


async def test_a_stranger_with_the_clients_phone_does_not_block_the_clients_code(
    flows: Flows,
) -> None:
    """A stranger who registered with a client's phone a moment earlier blocked the client's
    first code for a minute; five such sends an hour blocked it for the hour."""
    stranger = await flows.register("stranger@example.com", PASSWORD, phone=PHONE)
    for _ in range(4):
        flows.world.clock.advance(seconds=61)
        await flows.resend(stranger.id, Purpose.PHONE)
    flows.world.clock.advance(seconds=1)
    client = await flows.register("client@example.com", PASSWORD, phone=PHONE)
    sms = [s for s in flows.notifier.sms if phone_key(s[0]) == phone_key(PHONE)]
    assert len(sms) == 6  # five for the stranger, and the client's own
    await flows.verify(client.id, Purpose.PHONE, flows.last_code(Purpose.PHONE, PHONE))
    assert flows.world.store.users[client.id].phone_verified_at is not None


async def test_codes_of_one_purpose_keep_their_own_allowance(flows: Flows) -> None:
    user = await flows.register("maria@example.com", PASSWORD, phone=PHONE)
    for _ in range(2):
        flows.world.clock.advance(minutes=2)
        await flows.reset_request("maria@example.com")
        code = flows.last_code(Purpose.PASSWORD_RESET)
        for _ in range(5):
            assert not await _guess_reset(flows, wrong(code))
    # The reset allowance is spent; verifying the email and the phone is not affected.
    await flows.verify(user.id, Purpose.EMAIL, flows.last_code(Purpose.EMAIL))
    await flows.verify(user.id, Purpose.PHONE, flows.last_code(Purpose.PHONE))


# --- logins: exponential back-off per account, whoever the address ---------------------

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def test_login_delays_grow_exponentially_to_a_cap() -> None:
    assert [delay_after(n) for n in range(FREE_FAILURES)] == [timedelta(0)] * FREE_FAILURES
    previous = delay_after(FREE_FAILURES)
    assert previous > timedelta(0)
    for n in range(FREE_FAILURES + 1, FREE_FAILURES + 40):
        current = delay_after(n)
        assert current == min(previous * 2, MAX_DELAY)
        previous = current
    assert delay_after(10**9) == MAX_DELAY


@given(st.lists(st.floats(min_value=0.0, max_value=400.0), min_size=1, max_size=600))
def test_login_guesses_per_account_are_capped_per_day(gaps: list[float]) -> None:
    """Whatever the timing of an attacker's failing attempts (from any addresses), one
    account lets at most `max_guesses_per_day()` through in a day, and each refusal says how
    long to wait, never more than MAX_DELAY."""
    streak, now, passed = Streak(), T0, []
    for gap in gaps:
        now += timedelta(seconds=gap)
        streak, wait = admit(streak, now)
        if wait is None:
            passed.append(now)
        else:
            assert 1 <= wait <= MAX_DELAY.total_seconds()
    for i, start in enumerate(passed):
        assert len([t for t in passed[i:] if t < start + DAY]) <= max_guesses_per_day()
    assert max_guesses_per_day() <= 400  # "a few hundred a day", not 43,000


def test_a_correct_password_ends_the_streak() -> None:
    streak = Streak()
    for _ in range(FREE_FAILURES + 3):
        streak, wait = admit(streak, T0 + timedelta(hours=1))
        if wait is not None:
            break
    assert wait is not None
    streak, wait = admit(Streak(), T0 + timedelta(hours=1))  # what success stores
    assert wait is None


async def test_logins_from_rotating_addresses_get_a_few_hundred_guesses_a_day() -> None:
    """Rotating addresses got about 30 guesses a minute per account (43,000 a day): the
    per-account window was the only bound. Now the account's own streak slows them down."""
    now = [T0]
    counters = MemoryAttemptCounters(clock=lambda: (now[0] - T0).total_seconds())
    streaks = MemoryLoginStreaks(clock=lambda: now[0])
    throttle = LoginThrottle(10, 60)
    hasher = FakeHasher()
    world = World()
    await RegisterUser(world.uow_factory, hasher)("victim@example.com", "the-real-password")
    login = Authenticate(world.uow_factory, hasher)
    guesses, refused_waits = 0, []
    for i in range(86_400 // 2):  # one attempt every 2 s for a day, each from a new address
        now[0] = T0 + timedelta(seconds=2 * i)
        try:
            await throttle.attempt(
                counters, streaks, f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
                "victim@example.com", lambda i=i: login("victim@example.com", f"guess-{i}"),
            )  # fmt: skip
        except InvalidCredentials:
            guesses += 1
        except TooManyRequestsException as exc:
            refused_waits.append(int((exc.headers or {})["Retry-After"]))
    assert guesses <= max_guesses_per_day() <= 400, guesses
    assert refused_waits and max(refused_waits) <= MAX_DELAY.total_seconds()
    # The owner is not locked out for long: after the wait, the right password works and
    # ends the streak.
    now[0] += MAX_DELAY
    user = await throttle.attempt(
        counters, streaks, "192.0.2.1", "victim@example.com",
        lambda: login("victim@example.com", "the-real-password"),
    )  # fmt: skip
    assert user.email == "victim@example.com"
    now[0] += timedelta(seconds=1)
    with pytest.raises(InvalidCredentials):  # a typo right after is not delayed
        await throttle.attempt(
            counters, streaks, "192.0.2.1", "victim@example.com",
            lambda: login("victim@example.com", "typo"),
        )  # fmt: skip
