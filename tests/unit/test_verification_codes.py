"""Issue 12: codes that verify an email or phone (and reset a password), over the fakes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.application.errors import ContactTaken, InvalidCode, RateLimited
from src.domain.booking import BookingStatus, MatchMethod
from src.domain.verification import Purpose
from tests.unit.conftest import World
from tests.unit.verification_flows import Flows

PASSWORD = "secret123"
PHONE = "+7 916 111-22-33"


@pytest.fixture
def flows(world: World) -> Flows:
    return Flows(world)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_register_sends_six_digit_codes_to_email_and_phone_stored_only_hashed(
    flows: Flows,
) -> None:
    user = await flows.register("maria@example.com", PASSWORD, phone=PHONE)
    email_code = flows.last_code(Purpose.EMAIL, "maria@example.com")
    sms_code = flows.last_code(Purpose.PHONE, PHONE)
    for code in (email_code, sms_code):
        assert len(code) == 6 and code.isdigit()
    stored = list(flows.world.store.codes.values())
    assert {(c.user_id, c.purpose) for c in stored} == {
        (user.id, Purpose.EMAIL),
        (user.id, Purpose.PHONE),
    }
    for c in stored:
        assert email_code not in c.code_hash and sms_code not in c.code_hash
        assert len(c.code_hash) == 64  # an HMAC-SHA256 digest
    assert user.email_verified_at is None and user.phone_verified_at is None


async def test_verify_email_and_phone_with_their_codes(flows: Flows) -> None:
    user = await flows.register("maria@example.com", PASSWORD, phone=PHONE)
    done = await flows.verify(user.id, Purpose.EMAIL, flows.last_code(Purpose.EMAIL))
    assert done.user.email_verified_at is not None and done.user.phone_verified_at is None
    done = await flows.verify(user.id, Purpose.PHONE, flows.last_code(Purpose.PHONE))
    stored = flows.world.store.users[user.id]
    assert stored.email_verified_at is not None and stored.phone_verified_at is not None


async def test_expired_code_is_refused(flows: Flows) -> None:
    user = await flows.register("maria@example.com", PASSWORD)
    code = flows.last_code(Purpose.EMAIL)
    flows.world.clock.advance(minutes=10)
    with pytest.raises(InvalidCode, match="expired"):
        await flows.verify(user.id, Purpose.EMAIL, code)
    assert flows.world.store.users[user.id].email_verified_at is None


async def test_five_wrong_codes_and_the_right_one_no_longer_works(flows: Flows) -> None:
    user = await flows.register("maria@example.com", PASSWORD)
    code = flows.last_code(Purpose.EMAIL)
    for left in (4, 3, 2, 1):
        with pytest.raises(InvalidCode, match=f"{left} tries left"):
            await flows.verify(user.id, Purpose.EMAIL, wrong(code))
    with pytest.raises(InvalidCode, match="no tries left"):
        await flows.verify(user.id, Purpose.EMAIL, wrong(code))
    with pytest.raises(InvalidCode, match="too many wrong tries"):
        await flows.verify(user.id, Purpose.EMAIL, code)
    assert flows.world.store.users[user.id].email_verified_at is None
    # A new code is needed, and works.
    flows.world.clock.advance(seconds=61)
    await flows.resend(user.id, Purpose.EMAIL)
    await flows.verify(user.id, Purpose.EMAIL, flows.last_code(Purpose.EMAIL))
    assert flows.world.store.users[user.id].email_verified_at is not None


async def test_code_reuse_is_refused(flows: Flows) -> None:
    user = await flows.register("maria@example.com", PASSWORD)
    code = flows.last_code(Purpose.EMAIL)
    await flows.verify(user.id, Purpose.EMAIL, code)
    with pytest.raises(InvalidCode, match="already used"):
        await flows.verify(user.id, Purpose.EMAIL, code)


async def test_an_older_code_dies_when_a_new_one_is_sent(flows: Flows) -> None:
    user = await flows.register("maria@example.com", PASSWORD)
    first = flows.last_code(Purpose.EMAIL)
    flows.world.clock.advance(seconds=61)
    await flows.resend(user.id, Purpose.EMAIL)
    second = flows.last_code(Purpose.EMAIL)
    if first != second:
        with pytest.raises(InvalidCode):
            await flows.verify(user.id, Purpose.EMAIL, first)
    await flows.verify(user.id, Purpose.EMAIL, second)


async def test_resend_limit_once_a_minute(flows: Flows) -> None:
    user = await flows.register("maria@example.com", PASSWORD)
    flows.world.clock.advance(seconds=20)
    with pytest.raises(RateLimited) as limited:
        await flows.resend(user.id, Purpose.EMAIL)
    assert limited.value.retry_after == 40
    assert flows.sent() == 1
    flows.world.clock.advance(seconds=40)
    await flows.resend(user.id, Purpose.EMAIL)
    assert flows.sent() == 2


async def test_resend_limit_five_an_hour(flows: Flows) -> None:
    user = await flows.register("maria@example.com", PASSWORD)  # the first of five
    for _ in range(4):
        flows.world.clock.advance(minutes=2)
        await flows.resend(user.id, Purpose.EMAIL)
    assert flows.sent() == 5
    flows.world.clock.advance(minutes=2)  # 10 minutes after the first
    with pytest.raises(RateLimited) as limited:
        await flows.resend(user.id, Purpose.EMAIL)
    assert limited.value.retry_after == 50 * 60  # the first leaves the hour then
    flows.world.clock.advance(minutes=50)
    await flows.resend(user.id, Purpose.EMAIL)
    assert flows.sent() == 6


async def test_verifying_a_phone_another_member_verified_is_a_conflict(flows: Flows) -> None:
    first = await flows.register("a@example.com", PASSWORD, phone=PHONE)
    # Both codes go to the same number (+79161112233): each is taken as it arrives.
    first_code = flows.last_code(Purpose.PHONE, PHONE)
    flows.world.clock.advance(seconds=61)  # one code a minute to a phone
    second = await flows.register("b@example.com", PASSWORD, phone="89161112233")
    second_code = flows.last_code(Purpose.PHONE, "89161112233")
    await flows.verify(first.id, Purpose.PHONE, first_code)
    with pytest.raises(ContactTaken, match="another member"):
        await flows.verify(second.id, Purpose.PHONE, second_code)
    assert flows.world.store.users[second.id].phone_verified_at is None


async def test_changing_a_verified_phone_unverifies_it_and_keeps_linked_bookings(
    flows: Flows,
) -> None:
    world = flows.world
    user = await flows.register("maria@example.com", PASSWORD, phone=PHONE)
    await world.ingest.one(world.record(phone=PHONE, status=BookingStatus.COMPLETED, price=1000))
    await flows.verify(user.id, Purpose.PHONE, flows.last_code(Purpose.PHONE))
    assert world.booking().user_id == user.id
    balance = world.balance(user.id)

    world.clock.advance(seconds=61)
    await flows.set_phone(user.id, "+7 903 000-00-01")
    stored = world.store.users[user.id]
    assert (stored.phone_key, stored.phone_verified_at) == ("9030000001", None)
    assert world.booking().user_id == user.id  # not moved
    assert world.balance(user.id) == balance
    # The code sent to the old phone does not verify the new one.
    with pytest.raises(InvalidCode):
        await flows.verify(user.id, Purpose.PHONE, flows.last_code(Purpose.PHONE, PHONE))
    await flows.verify(user.id, Purpose.PHONE, flows.last_code(Purpose.PHONE, "+7 903 000-00-01"))
    assert world.store.users[user.id].phone_verified_at is not None


async def test_verification_links_every_unmatched_booking_of_the_contact_once(
    flows: Flows,
) -> None:
    """Retroactive linking: bookings of any date, linked and awarded once, by the usual
    rules (a booking whose code belongs to someone is theirs already)."""
    world = flows.world
    other = await world.user("other@example.com", code="ABCD2345")
    for rid in (1, 2, 3):
        await world.ingest.one(
            world.record(rid, phone=PHONE, status=BookingStatus.COMPLETED, price=1000)
        )
    await world.ingest.one(
        world.record(4, phone=PHONE, comment="Код клиента: ABCD2345", status=BookingStatus.PENDING)
    )
    user = await flows.register("maria@example.com", PASSWORD, phone=PHONE)
    done = await flows.verify(user.id, Purpose.PHONE, flows.last_code(Purpose.PHONE))
    assert done.linked == 3
    for rid in (1, 2, 3):
        b = world.booking(rid)
        assert (b.user_id, b.match_method) == (user.id, MatchMethod.PHONE)
        assert len(world.booking_entries(b.id)) == 1
    assert world.booking(4).user_id == other.id
    assert world.balance(user.id) == world.ledger_sum(user.id) > Decimal("0")
    # The next sync changes nothing: awarded exactly once.
    before = len(world.store.entries)
    for rid in (1, 2, 3):
        await world.ingest.one(
            world.record(rid, phone=PHONE, status=BookingStatus.COMPLETED, price=1000)
        )
    assert len(world.store.entries) == before


async def test_password_reset_for_an_unknown_email_sends_nothing(flows: Flows) -> None:
    await flows.register("maria@example.com", PASSWORD)
    flows.world.clock.advance(seconds=61)
    sent = flows.sent()
    await flows.reset_request("nobody@example.com")
    assert flows.sent() == sent
    await flows.reset_request("Maria@Example.com ")
    assert flows.sent() == sent + 1


async def test_password_reset_answers_the_same_for_unknown_email_and_wrong_code(
    flows: Flows,
) -> None:
    user = await flows.register("maria@example.com", PASSWORD)
    flows.world.clock.advance(seconds=61)
    await flows.reset_request("maria@example.com")
    code = flows.last_code(Purpose.PASSWORD_RESET)
    with pytest.raises(InvalidCode) as unknown:
        await flows.reset_confirm("nobody@example.com", code, "new-password-1")
    with pytest.raises(InvalidCode) as wrong_code:
        await flows.reset_confirm("maria@example.com", wrong(code), "new-password-1")
    assert str(unknown.value) == str(wrong_code.value)
    changed = await flows.reset_confirm("maria@example.com", code, "new-password-1")
    assert changed.password_hash == "plain$new-password-1"
    assert flows.world.store.users[user.id].password_hash == "plain$new-password-1"
    with pytest.raises(InvalidCode):  # used once
        await flows.reset_confirm("maria@example.com", code, "new-password-2")


async def test_codes_older_than_a_day_are_forgotten_when_a_new_one_is_sent(
    flows: Flows,
) -> None:
    """Kept a day (and a code's life): their wrong tries count against the daily allowance."""
    user = await flows.register("maria@example.com", PASSWORD, phone=PHONE)
    flows.world.clock.advance(hours=25)
    await flows.resend(user.id, Purpose.EMAIL)
    kept = sorted(c.purpose.value for c in flows.world.store.codes.values())
    assert kept == ["email"]  # the new one; both older codes are gone
