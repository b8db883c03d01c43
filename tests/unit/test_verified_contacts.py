"""Issue 12: email and phone link a booking only to a member who verified that contact."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.application.errors import ValidationFailed
from src.application.use_cases.users import TrustContacts
from src.domain.booking import BookingStatus, MatchMethod
from tests.fakes.clock import FakeClock
from tests.unit.conftest import World

CLIENT_PHONE = "+7 916 111-22-33"
STRANGER_PHONE = "89161112233"  # the same last 10 digits, typed differently


@pytest.mark.parametrize("contact", ["phone", "email"])
async def test_a_stranger_registering_a_clients_contact_sees_and_earns_nothing(
    world: World, contact: str
) -> None:
    """The reproduction: a stranger registers with the salon client's phone (or email); the
    client's completed visit must not become theirs, nor its points."""
    stranger = await world.user(
        "client@example.com" if contact == "email" else "stranger@example.com",
        phone=STRANGER_PHONE if contact == "phone" else None,
        verified=False,
    )
    visit = world.record(
        phone=CLIENT_PHONE, email="client@example.com", status=BookingStatus.COMPLETED, price=2000
    )
    await world.ingest.one(visit)
    booking = world.booking()
    assert booking.user_id is None
    assert world.balance(stranger.id) == Decimal("0.00")
    assert world.ledger_sum(stranger.id) == Decimal("0.00")

    # A second unverified account with the same phone cannot block the real client either.
    await world.user("other@example.com", phone=STRANGER_PHONE, verified=False)
    if contact == "phone":
        client = await world.user("real@example.com", phone=CLIENT_PHONE, verified=True)
    else:
        # Emails are unique: only whoever can read client@example.com can verify it (the
        # verification code goes there), which makes that account the client's.
        client = stranger
        world.store.users[client.id].email_verified_at = datetime.now(UTC)
    await world.ingest.one(world.newer(visit))  # the next sync or webhook
    booking = world.booking()
    expected = MatchMethod.PHONE if contact == "phone" else MatchMethod.EMAIL
    assert (booking.user_id, booking.match_method) == (client.id, expected)
    assert world.balance(client.id) > 0
    if contact == "phone":
        assert world.balance(stranger.id) == Decimal("0.00")


async def test_contact_verification_off_keeps_the_old_rule(world: World) -> None:
    world.switches.verified_contacts_only = False
    maria = await world.user("maria@example.com", phone=CLIENT_PHONE, verified=False)
    await world.ingest.one(world.record(phone=STRANGER_PHONE))
    assert world.booking().user_id == maria.id


async def test_trust_contacts_skips_shared_phones(world: World) -> None:
    a = await world.user("a@example.com", phone=CLIENT_PHONE, verified=False)
    b = await world.user("b@example.com", phone=STRANGER_PHONE, verified=False)
    c = await world.user("c@example.com", phone="+7 903 000-00-01", verified=False)
    now = datetime.now(UTC)  # the fake store stamps accounts with the real time
    done = await TrustContacts(world.uow_factory, FakeClock(now))(now)
    assert (done.emails, done.phones, done.phones_skipped, done.shared_phone_keys) == (3, 1, 2, 1)
    users = world.store.users
    assert users[c.id].phone_verified_at is not None
    assert users[a.id].phone_verified_at is None and users[b.id].phone_verified_at is None
    assert all(users[u.id].email_verified_at is not None for u in (a, b, c))


IMPORTED = datetime(2026, 11, 1, tzinfo=UTC)
LAUNCH = datetime(2026, 12, 1, tzinfo=UTC)


async def test_trust_contacts_after_launch_trusts_only_accounts_older_than_the_cutoff(
    world: World,
) -> None:
    """Issue 20, item 7: run after launch, trust-contacts verified the phone a stranger typed
    at sign-up and gave them a client's visit and points. Only the accounts created before
    the cutoff (the import of the old system's members) are trusted now."""
    imported = await world.user("imported@example.com", phone="+7 903 000-00-01", verified=False)
    stranger = await world.user("stranger@example.com", phone=CLIENT_PHONE, verified=False)
    world.store.users[imported.id].created_at = IMPORTED
    world.store.users[stranger.id].created_at = LAUNCH + timedelta(days=3)
    trust = TrustContacts(world.uow_factory, FakeClock(LAUNCH + timedelta(days=5)))

    done = await trust(LAUNCH)

    assert (done.emails, done.phones, done.phones_skipped) == (1, 1, 0)
    users = world.store.users
    assert users[imported.id].email_verified and users[imported.id].phone_verified
    assert not users[stranger.id].email_verified and not users[stranger.id].phone_verified
    # The client's visit is not the stranger's.
    await world.ingest.one(world.record(phone=CLIENT_PHONE, status=BookingStatus.COMPLETED))
    assert world.booking().user_id is None
    assert world.balance(stranger.id) == Decimal("0.00")


async def test_trust_contacts_dry_run_counts_and_changes_nothing(world: World) -> None:
    member = await world.user("imported@example.com", phone="+7 903 000-00-01", verified=False)
    world.store.users[member.id].created_at = IMPORTED
    trust = TrustContacts(world.uow_factory, FakeClock(LAUNCH))
    done = await trust(LAUNCH, dry_run=True)
    assert (done.emails, done.phones) == (1, 1)
    stored = world.store.users[member.id]
    assert stored.email_verified_at is None and stored.phone_verified_at is None
    assert await trust(LAUNCH) == done  # the real run does what the dry run said
    assert world.store.users[member.id].phone_verified


async def test_trust_contacts_refuses_a_cutoff_in_the_future_or_without_a_zone(
    world: World,
) -> None:
    member = await world.user("imported@example.com", verified=False)
    trust = TrustContacts(world.uow_factory, FakeClock(LAUNCH))
    with pytest.raises(ValidationFailed, match="future"):
        await trust(LAUNCH + timedelta(days=1))
    with pytest.raises(ValidationFailed, match="time zone"):
        await trust(datetime(2026, 11, 1))
    assert world.store.users[member.id].email_verified_at is None


@pytest.mark.parametrize("contact", ["phone", "email"])
async def test_reproduction_the_real_client_verifies_and_the_visit_and_points_are_theirs(
    world: World, contact: str
) -> None:
    """The reproduction through the real flows: a stranger registers with the client's phone
    (or email) and gets nothing; the real client proves the contact with the code sent to
    it, and at that moment (no sync needed) the visit and its points become theirs."""
    from src.domain.verification import Purpose
    from tests.unit.verification_flows import Flows

    flows = Flows(world)
    if contact == "phone":
        stranger = await flows.register("stranger@example.com", "secret123", phone=STRANGER_PHONE)
    else:
        stranger = await flows.register("client@example.com", "secret123")
    visit = world.record(
        phone=CLIENT_PHONE, email="client@example.com", status=BookingStatus.COMPLETED, price=2000
    )
    await world.ingest.one(visit)
    assert world.booking().user_id is None
    assert world.balance(stranger.id) == Decimal("0.00")

    world.clock.advance(minutes=2)
    if contact == "phone":
        # The SMS to the stranger's typed phone reached the client, not the stranger: the
        # stranger can only guess, and five wrong guesses end the code.
        from src.application.errors import InvalidCode

        for _ in range(5):
            with pytest.raises(InvalidCode):
                await flows.verify(stranger.id, Purpose.PHONE, "000000")
        client = await flows.register("real@example.com", "secret123", phone=CLIENT_PHONE)
        done = await flows.verify(client.id, Purpose.PHONE, flows.last_code(Purpose.PHONE))
        expected = MatchMethod.PHONE
    else:
        # The email belongs to the stranger's account, but the code goes to the mailbox: the
        # client takes the account over by a password reset, then verifies the email.
        await flows.reset_request("client@example.com")
        await flows.reset_confirm(
            "client@example.com", flows.last_code(Purpose.PASSWORD_RESET), "clients-own-pass"
        )
        world.clock.advance(minutes=2)
        await flows.resend(stranger.id, Purpose.EMAIL)
        client = stranger
        done = await flows.verify(client.id, Purpose.EMAIL, flows.last_code(Purpose.EMAIL))
        expected = MatchMethod.EMAIL
        assert world.store.users[client.id].password_hash == "plain$clients-own-pass"
    assert done.linked == 1
    booking = world.booking()
    assert (booking.user_id, booking.match_method) == (client.id, expected)
    assert world.balance(client.id) == world.ledger_sum(client.id) > Decimal("0.00")
    assert len(world.booking_entries(booking.id)) == 1
    if contact == "phone":
        assert world.balance(stranger.id) == Decimal("0.00")
        assert world.store.users[stranger.id].phone_verified_at is None
    await world.ingest.one(world.newer(visit))  # the next sync: still once
    assert len(world.booking_entries(booking.id)) == 1
