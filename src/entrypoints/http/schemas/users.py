"""Bodies of the members' own API (/users): registration, login, contacts, profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, Struct

from src.application.use_cases.users import MIN_PASSWORD_LENGTH, Profile
from src.domain.user import User
from src.entrypoints.http.schemas.common import NO_NUL, Money, money
from src.entrypoints.http.schemas.loyalty import LevelOut, level_out

EMAIL_PATTERN = r"^\s*[^@\s\x00]+@[^@\s\x00]+\s*$"
NewPassword = Annotated[
    str,
    Meta(min_length=MIN_PASSWORD_LENGTH, max_length=128, pattern=NO_NUL, examples=["s3cret-pass"]),
]
# 7 to 15 digits (E.164 holds at most 15), with the separators people write: the characters
# the server reads. The length rule of each country is the phone library's, not a pattern.
PHONE_PATTERN = r"^\s*\+?(?:[ ()\-.]*[0-9]){7,15}[ ()\-.]*\s*$"
# The limit is the column's (users.phone varchar(32)).
Phone = Annotated[
    str,
    Meta(
        max_length=32,
        pattern=PHONE_PATTERN,
        examples=["+7 916 123-45-67", "8 (916) 123-45-67"],
        description=(
            "A phone number with its country code (+7 916 …), or as dialled in the salon's "
            "country (SALON_REGION: 8 916 … in Russia). Its length must fit that country's "
            "numbering plan, which no pattern states: otherwise 422 `phone: not a phone number`."
        ),
    ),
]
CODE_PATTERN = r"^\s*[0-9]{6}\s*$"  # spaces around the digits are ignored
# What a code field and an email field always carry; each adds its own description.
_CODE: dict[str, Any] = {"max_length": 16, "pattern": CODE_PATTERN, "examples": ["042917"]}
_EMAIL: dict[str, Any] = {
    "max_length": 254,
    "pattern": EMAIL_PATTERN,
    "examples": ["maria@example.com"],
}
VerificationCode = Annotated[
    str,
    Meta(
        **_CODE,
        description=(
            "The last code sent to this contact. Wrong, used or expired: 400 `invalid_code`; "
            "5 wrong tries per code and 10 a day, then 429 until the day is over; the phone's "
            "without a phone set: 422."
        ),
    ),
]
ResetCode = Annotated[
    str,
    Meta(
        **_CODE,
        description=(
            "The last reset code sent to the email. Wrong, used or expired, or an unknown "
            "email: the same 400 `invalid_code`."
        ),
    ),
]


class RegisterIn(Struct):
    email: Annotated[
        str, Meta(**_EMAIL, description="Stored trimmed and lower-cased; taken (in any case): 409.")
    ]
    password: NewPassword
    phone: Phone | None = None
    name: Annotated[str, Meta(max_length=255, pattern=NO_NUL)] | None = None  # the column's


class LoginIn(Struct):
    email: Annotated[str, Meta(max_length=254, pattern=NO_NUL)]  # a wrong one is just a 401
    password: Annotated[str, Meta(max_length=128, pattern=NO_NUL)]


class PasswordChangeIn(Struct):
    current_password: Annotated[
        str,
        Meta(
            max_length=128,
            pattern=NO_NUL,
            description="The account's current password; a wrong one is 422.",
        ),
    ]
    new_password: NewPassword


class CodeIn(Struct):
    code: VerificationCode


class PhoneIn(Struct):
    phone: Phone


class PasswordResetRequestIn(Struct):
    email: Annotated[str, Meta(max_length=254, pattern=NO_NUL)]  # unknown ones answer the same


class PasswordResetConfirmIn(Struct):
    email: Annotated[
        str,
        Meta(
            **_EMAIL,
            description="The account's email; an unknown one answers as a wrong code does.",
        ),
    ]
    code: ResetCode
    new_password: NewPassword


class AcceptedOut(Struct):
    status: Literal["accepted"]
    message: str


class CodeSentOut(Struct):
    status: Literal["code_sent"]
    channel: Literal["email", "sms"]


class VerifiedOut(Struct):
    email_verified: bool
    phone_verified: bool
    bookings_linked: int  # unmatched bookings with this contact, now the caller's


class TokenOut(Struct):
    access_token: str
    token_type: Literal["bearer"]
    expires_in: int  # seconds


class UserOut(Struct, kw_only=True):
    id: int
    email: str
    phone: str | None
    name: str | None
    unique_code: str | None  # null until the booking form is first requested
    role: Literal["user", "admin"]
    created_at: datetime | None


def _user_fields(user: User) -> dict[str, object]:
    return {
        "id": user.id,
        "email": user.email,
        "phone": user.phone,
        "name": user.name,
        "unique_code": user.unique_code,
        "role": user.role.value,
        "created_at": user.created_at,
    }


def user_out(user: User) -> UserOut:
    return UserOut(**_user_fields(user))  # type: ignore[arg-type]


class MeOut(UserOut, kw_only=True):
    level: LevelOut
    balance: Money
    email_verified: bool  # only verified contacts link bookings (CONTACT_VERIFICATION)
    phone_verified: bool
    # false with SMS_PROVIDER=none: the salon sends no SMS, so a phone is kept but never
    # verified and links no bookings (the email and the client code still do)
    phone_verifiable: bool = True


def me_out(profile: Profile, phone_verifiable: bool = True) -> MeOut:
    return MeOut(
        **_user_fields(profile.user),  # type: ignore[arg-type]
        level=level_out(profile.level),
        balance=money(profile.account.balance),
        email_verified=profile.user.email_verified_at is not None,
        phone_verified=profile.user.phone_verified_at is not None,
        phone_verifiable=phone_verifiable,
    )
