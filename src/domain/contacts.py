"""Normalisation of the contact data that links a booking to a user.

Phones are numbers, not strings: each is parsed with `phonenumbers` (Google's numbering
plans) in the salon's region (`SALON_REGION`, Russia by default) into its E.164 number, and
two phones are the same only when their E.164 numbers are. The key stored and compared is
that number written compactly: the 10 digits after `+7` for the +7 plan (Russia and
Kazakhstan share it; the seed's "last 10 digits", unchanged), the whole E.164 number with its
`+` otherwise (`+19165551234`), so a foreign number never shares a key with a Russian one and
the key always gives back the number a verification code is sent to (`e164_of_key`).
"""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

DEFAULT_REGION = "RU"
_PLUS_SEVEN = "+7"  # the +7 plan's keys are its 10 national digits (the seed's rule)
# Longer text is not a phone (the columns hold 32 / 64 characters); phonenumbers would parse
# up to 250 characters, in linear time either way.
MAX_PHONE_TEXT = 64
PHONE_KEY_LENGTH = 16  # "+" and up to 15 digits (E.164's maximum)


def normalize_email(email: str | None) -> str | None:
    """Trimmed, lower-cased email; None when empty or obviously not an email."""
    if not email:
        return None
    value = email.strip().lower()
    return value if "@" in value else None


def is_known_region(region: str) -> bool:
    """A region phonenumbers knows (ISO 3166 alpha-2, upper case: `RU`, `KZ`, `BY`)."""
    return region in phonenumbers.SUPPORTED_REGIONS


# Parsing costs ~0.1 ms; a page of bookings reads each phone twice (resolving, then writing).
@lru_cache(maxsize=4096)
def phone_e164(phone: str | None, region: str = DEFAULT_REGION) -> str | None:
    """The E.164 number of a phone written in any usual way; a phone without its country
    code is read as the salon's region would dial it (`8 916 …` and `916 …` in Russia). None
    when it is not a phone number (too short or too long for its country, letters only)."""
    if not phone:
        return None
    text = phone.strip()
    if not text or len(text) > MAX_PHONE_TEXT:
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    # Possible (the length fits the country's plan) rather than valid (in an allocated
    # range): the security rule is that different numbers never share a key, which holds
    # either way, and a range allocated after the library's data was released still works.
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def key_of_e164(e164: str) -> str:
    """`+79165551234` → `9165551234`; any other country's number stays whole."""
    return e164[len(_PLUS_SEVEN) :] if e164.startswith(_PLUS_SEVEN) else e164


def e164_of_key(key: str) -> str:
    """The number a key stands for (the inverse of `key_of_e164`)."""
    return key if key.startswith("+") else _PLUS_SEVEN + key


def phone_key(phone: str | None, region: str = DEFAULT_REGION) -> str | None:
    """What phones are stored and compared by: `+7 (916) 555-12-34`, `8 916 555 12 34`,
    `79165551234` and `9165551234` all give `9165551234` (in Russia); `+1 916 555 1234`
    gives `+19165551234`. None when the phone is missing or not a phone number."""
    e164 = phone_e164(phone, region)
    return None if e164 is None else key_of_e164(e164)
