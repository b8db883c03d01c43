"""Bodies of the members' own API (/users): registration, login, contacts, profile."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta, Struct

from src.application.use_cases.users import MIN_PASSWORD_LENGTH, Profile
from src.domain.user import User
from src.entrypoints.http.schemas.common import NO_NUL, Money, money
from src.entrypoints.http.schemas.loyalty import LevelOut, level_out

Email = Annotated[
    str,
    Meta(
        max_length=254, pattern=r"^\s*[^@\s\x00]+@[^@\s\x00]+\s*$", examples=["maria@example.com"]
    ),
]


class RegisterIn(Struct):
    email: Email
    password: Annotated[str, Meta(min_length=MIN_PASSWORD_LENGTH, max_length=128, pattern=NO_NUL)]
    # The limits are the columns' (users.phone varchar(32), users.name varchar(255)).
    phone: (
        Annotated[str, Meta(max_length=32, pattern=NO_NUL, examples=["+7 916 123-45-67"])] | None
    ) = None
    name: Annotated[str, Meta(max_length=255, pattern=NO_NUL)] | None = None


class LoginIn(Struct):
    email: Annotated[str, Meta(max_length=254, pattern=NO_NUL)]  # a wrong one is just a 401
    password: Annotated[str, Meta(max_length=128, pattern=NO_NUL)]


class PasswordChangeIn(Struct):
    current_password: Annotated[str, Meta(max_length=128, pattern=NO_NUL)]
    new_password: Annotated[str, Meta(min_length=8, max_length=128, pattern=NO_NUL)]


CODE_PATTERN = r"^\s*[0-9]{6}\s*$"


class CodeIn(Struct):
    code: Annotated[str, Meta(max_length=16, pattern=CODE_PATTERN, examples=["042917"])]


class PhoneIn(Struct):
    phone: Annotated[str, Meta(max_length=32, pattern=NO_NUL, examples=["+7 916 123-45-67"])]


class PasswordResetRequestIn(Struct):
    email: Annotated[str, Meta(max_length=254, pattern=NO_NUL)]  # unknown ones answer the same


class PasswordResetConfirmIn(Struct):
    email: Annotated[str, Meta(max_length=254, pattern=NO_NUL)]
    code: Annotated[str, Meta(max_length=16, pattern=NO_NUL)]  # a malformed one: the same 400
    new_password: Annotated[str, Meta(min_length=8, max_length=128, pattern=NO_NUL)]


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
