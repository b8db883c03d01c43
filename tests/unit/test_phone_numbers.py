"""Issue 20 item 3: phones are numbers. Verification proves one E.164 number and linking
compares the same number, so a foreign phone never takes a Russian client's visits."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.application.errors import ValidationFailed
from src.application.use_cases.members import search_text
from src.application.use_cases.users import RegisterUser
from src.domain.booking import BookingStatus, MatchMethod
from src.domain.contacts import e164_of_key, phone_e164, phone_key
from src.domain.verification import Purpose
from tests.fakes.auth import FakeHasher
from tests.unit.conftest import World
from tests.unit.verification_flows import Flows

PASSWORD = "secret123"
RUSSIAN = "+7 916 555-12-34"
AMERICAN = "+1 916 555 1234"  # the same last 10 digits, another country

# Real-world spellings, read in Russia (SALON_REGION=RU), and the number each one is.
SPELLINGS = [
    # Russia: international, 8-prefixed (dialled at home), 10 digits, 7 without "+", odd marks
    ("+7 (916) 555-12-34", "+79165551234"),
    ("+7 916 555 12 34", "+79165551234"),
    ("+79165551234", "+79165551234"),
    ("79165551234", "+79165551234"),
    ("89165551234", "+79165551234"),
    ("8 (916) 555-12-34", "+79165551234"),
    ("8-916-555-12-34", "+79165551234"),
    ("9165551234", "+79165551234"),
    ("916 555 12 34", "+79165551234"),
    ("(916) 555-12-34", "+79165551234"),
    ("  +7 916 555.12.34 ", "+79165551234"),
    ("8 495 123-45-67", "+74951234567"),  # a Moscow landline
    # Kazakhstan shares +7: its 7xx numbers are other numbers of the same plan
    ("+7 701 123 4567", "+77011234567"),
    ("8 701 123 45 67", "+77011234567"),
    ("+7 (727) 250-12-34", "+77272501234"),  # an Almaty landline
    # Belarus, UAE, US: only with their country code (or Russia's 810 exit code)
    ("+375 29 123-45-67", "+375291234567"),
    ("+375 (17) 123-45-67", "+375171234567"),
    ("+971 50 123 4567", "+971501234567"),
    ("+971 4 123 4567", "+97141234567"),
    ("+1 916 555 1234", "+19165551234"),
    ("+1 (916) 555-1234", "+19165551234"),
    ("8 10 1 916 555 1234", "+19165551234"),
]
NOT_NUMBERS = [None, "", "   ", "12345", "+7 (916) 55", "+7 916 555 12 34 567", "+375 29 12",
               "1 916 555 1234", "phone", "+999 123 456 789"]  # fmt: skip


@pytest.mark.parametrize(("typed", "number"), SPELLINGS)
def test_real_world_spellings_are_read_as_their_e164_number(typed: str, number: str) -> None:
    assert phone_e164(typed) == number
    assert e164_of_key(phone_key(typed) or "") == number


def test_one_number_whatever_the_spelling_and_foreign_numbers_never_russian() -> None:
    """Two spellings share a key exactly when they are the same number: every Russian
    spelling of +7 916 555-12-34 is one key; the US +1 916 555 1234, with the same last 10
    digits, is another; Kazakh, Belarusian and UAE numbers are each their own."""
    by_number: dict[str, set[str | None]] = {}
    for typed, number in SPELLINGS:
        by_number.setdefault(number, set()).add(phone_key(typed))
    assert all(len(keys) == 1 for keys in by_number.values())
    keys = [next(iter(k)) for k in by_number.values()]
    assert len(set(keys)) == len(keys)  # different numbers, different keys
    assert phone_key(RUSSIAN) == "9165551234" != phone_key(AMERICAN) == "+19165551234"


@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_what_is_not_a_phone_number_has_no_key(typed: str | None) -> None:
    assert phone_key(typed) is None


@pytest.mark.parametrize(
    ("typed", "region", "number"),
    [
        ("8 029 123-45-67", "BY", "+375291234567"),  # Belarus dials 8 0xx at home
        ("8 701 123 4567", "KZ", "+77011234567"),
        ("050 123 4567", "AE", "+971501234567"),
        ("(916) 555-1234", "US", "+19165551234"),
        ("+7 916 555-12-34", "BY", "+79165551234"),  # a country code wins over the region
    ],
)
def test_a_phone_without_its_country_code_is_read_in_the_salons_region(
    typed: str, region: str, number: str
) -> None:
    assert phone_e164(typed, region) == number


@pytest.mark.parametrize(
    "typed", ["+7 (916) 555-12-34", "89165551234", "8(916)5551234", "9165551234", "79165551234"]
)
def test_member_search_finds_every_spelling_of_a_phone(typed: str) -> None:
    assert search_text(typed) == "9165551234"
    assert search_text("+1 (916) 555-1234") == "+19165551234"
    assert "1916555" in search_text("+1 916 555 1234")  # a partial number still matches


async def test_foreign_verified_phone_does_not_take_a_russian_clients_booking(
    world: World,
) -> None:
    """The defect: a member who verified +1 916 555 1234 took the visit and points of the
    client +7 916 555-12-34 (same last 10 digits), who then got 409 contact_taken for good."""
    flows = Flows(world)
    stranger = await flows.register("stranger@example.com", PASSWORD, phone=AMERICAN)
    await flows.verify(stranger.id, Purpose.PHONE, flows.last_code(Purpose.PHONE, AMERICAN))

    await world.ingest.one(world.record(phone=RUSSIAN, status=BookingStatus.COMPLETED, price=1000))
    booking = world.booking()
    assert booking.user_id is None
    assert world.balance(stranger.id) == Decimal("0.00")
    assert "phone …1234 matches no user" in (booking.unmatched_reason or "")

    world.clock.advance(seconds=61)
    client = await flows.register("client@example.com", PASSWORD, phone="8 916 555 12 34")
    done = await flows.verify(client.id, Purpose.PHONE, flows.last_code(Purpose.PHONE))
    assert done.linked == 1
    booking = world.booking()
    assert (booking.user_id, booking.match_method) == (client.id, MatchMethod.PHONE)
    assert world.balance(client.id) > 0 and world.balance(stranger.id) == Decimal("0.00")
    # Each code went to the number its key stands for.
    assert [to for to, _, _ in flows.notifier.sms] == ["+19165551234", "+79165551234"]


async def test_a_phone_that_is_not_a_number_is_refused_at_registration_and_change(
    world: World,
) -> None:
    register = RegisterUser(world.uow_factory, FakeHasher())
    with pytest.raises(ValidationFailed, match=r"^phone: not a phone number"):
        await register("maria@example.com", PASSWORD, phone="+7 916 555 12 34 567")
    assert world.store.users == {}  # nothing stored
    flows = Flows(world)
    user = await flows.register("maria@example.com", PASSWORD, phone=RUSSIAN)
    with pytest.raises(ValidationFailed, match=r"^phone: not a phone number"):
        await flows.set_phone(user.id, "1 916 555 1234")  # a US number without its +
    assert world.store.users[user.id].phone_key == "9165551234"  # left as it was


async def test_a_bookings_phone_that_is_not_a_number_links_nobody_and_says_why(
    world: World,
) -> None:
    flows = Flows(world)
    user = await flows.register("maria@example.com", PASSWORD, phone=RUSSIAN)
    await flows.verify(user.id, Purpose.PHONE, flows.last_code(Purpose.PHONE))
    await world.ingest.one(world.record(phone="+7 916 555 12 34 567"))  # one digit too many
    booking = world.booking()
    assert booking.user_id is None
    assert booking.unmatched_reason == "the client's phone is not a phone number we can read"


def test_salon_region_setting_defaults_to_russia_and_refuses_an_unknown_country() -> None:
    from pathlib import Path

    from src.entrypoints.settings import SettingsError, load_settings

    none = Path("/nonexistent/.env")
    assert load_settings({}, dotenv=none).SALON_REGION == "RU"
    assert load_settings({"SALON_REGION": " kz "}, dotenv=none).SALON_REGION == "KZ"
    with pytest.raises(SettingsError, match="SALON_REGION: 'XX' is not a country code"):
        load_settings({"SALON_REGION": "XX"}, dotenv=none)
