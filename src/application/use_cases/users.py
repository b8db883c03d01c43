"""Members: registration, login and profile."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from src.application.errors import InvalidCredentials, NotFound, ValidationFailed
from src.application.ports.auth import PasswordHasher
from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.ports.users import NewUser
from src.domain.contacts import DEFAULT_REGION, normalize_email, phone_key
from src.domain.loyalty import LoyaltyAccount, LoyaltyLevel, level_for
from src.domain.user import Role, User

MIN_PASSWORD_LENGTH = 8
# A phone is stored as the number it is (E.164, read in the salon's region), or refused.
PHONE_NOT_A_NUMBER = (
    "phone: not a phone number (too short or too long for its country); "
    "write it with its country code, e.g. +7 916 123-45-67"
)


def check_new_password(password: str, field: str = "new_password") -> None:
    """The one rule a new password must meet (registration, change, reset)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"{field}: must be at least {MIN_PASSWORD_LENGTH} characters")


@dataclass(frozen=True, slots=True)
class Profile:
    user: User
    account: LoyaltyAccount
    level: LoyaltyLevel


class WelcomeCodes(Protocol):
    async def __call__(self, user: User) -> None: ...


@dataclass(frozen=True, slots=True)
class RegisterUser:
    """Creates a member; `welcome` then sends codes to verify the email and phone."""

    uow_factory: UnitOfWorkFactory
    hasher: PasswordHasher
    welcome: WelcomeCodes | None = None
    phone_region: str = DEFAULT_REGION

    async def __call__(
        self,
        email: str,
        password: str,
        phone: str | None = None,
        name: str | None = None,
        role: Role = Role.USER,
    ) -> User:
        normalized = normalize_email(email)
        if normalized is None or normalized.startswith("@") or normalized.endswith("@"):
            raise ValidationFailed("email: not a valid email address")
        check_new_password(password, "password")
        key = phone_key(phone, self.phone_region)
        if phone and key is None:
            raise ValidationFailed(PHONE_NOT_A_NUMBER)
        new = NewUser(
            email=normalized,
            password_hash=await self.hasher.hash(password),
            role=role,
            phone=phone.strip() if phone else None,
            phone_key=key,
            name=name.strip() if name else None,
        )
        async with self.uow_factory() as uow:
            user = await uow.users.add(new)
            await uow.commit()
        if self.welcome is not None:
            await self.welcome(user)
        return user


@dataclass(slots=True)
class Authenticate:
    """Checks a password. An unknown email is verified against a dummy hash, so it costs the
    same as a wrong password and the answer's timing does not tell which emails exist."""

    uow_factory: UnitOfWorkFactory
    hasher: PasswordHasher
    _dummy_hash: str | None = field(default=None, init=False)

    async def dummy_hash(self) -> str:
        """A hash of a random password with the hasher's own parameters (made once)."""
        if self._dummy_hash is None:
            self._dummy_hash = await self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    async def __call__(self, email: str, password: str) -> User:
        normalized = normalize_email(email) or ""
        async with self.uow_factory() as uow:
            user = await uow.users.get_by_email(normalized)
        if user is None:
            await self.hasher.verify(await self.dummy_hash(), password)
            raise InvalidCredentials("wrong email or password")
        if not await self.hasher.verify(user.password_hash, password):
            raise InvalidCredentials("wrong email or password")
        return user


@dataclass(frozen=True, slots=True)
class ChangePassword:
    """A member changes their password, proving the current one (a stolen token alone is not
    enough). The new hash makes every token issued before it stop working."""

    uow_factory: UnitOfWorkFactory
    hasher: PasswordHasher

    async def __call__(self, user_id: int, current_password: str, new_password: str) -> User:
        check_new_password(new_password)
        async with self.uow_factory() as uow:
            user = await uow.users.get(user_id)
        if user is None:
            raise NotFound(f"user {user_id} does not exist")
        if not await self.hasher.verify(user.password_hash, current_password):
            raise ValidationFailed("current_password: wrong password")
        new_hash = await self.hasher.hash(new_password)
        async with self.uow_factory() as uow:
            await uow.users.set_password_hash(user_id, new_hash)
            await uow.commit()
            changed = await uow.users.get(user_id)
        assert changed is not None
        return changed


@dataclass(frozen=True, slots=True)
class TrustedContacts:
    emails: int  # emails marked verified
    phones: int  # phones marked verified
    phones_skipped: int  # members whose phone is shared (or verified by another): left alone
    shared_phone_keys: int


@dataclass(frozen=True, slots=True)
class TrustContacts:
    """`just trust-contacts --registered-before DATE`: mark the contacts of members imported
    from a system that verified them as verified. Only accounts created before the cutoff
    (the import) are trusted: a contact typed into a newer account is a stranger's claim, and
    trusting it gave them a client's visits and points. A phone several members share proves
    nothing: skipped. `dry_run` counts the same in a transaction that is rolled back."""

    uow_factory: UnitOfWorkFactory
    clock: Clock

    async def __call__(
        self, registered_before: datetime, *, dry_run: bool = False
    ) -> TrustedContacts:
        now = self.clock.now()
        if registered_before.tzinfo is None:
            raise ValidationFailed("registered_before: needs a time zone")
        if registered_before > now:
            raise ValidationFailed(
                "registered_before: must not be in the future (it is the moment the old "
                "system's members were imported)"
            )
        async with self.uow_factory() as uow:
            counts = await uow.users.trust_contacts(now, registered_before)
            if not dry_run:
                await uow.commit()
        return TrustedContacts(*counts)


@dataclass(frozen=True, slots=True)
class GetProfile:
    uow_factory: UnitOfWorkFactory

    async def __call__(self, user_id: int) -> Profile:
        async with self.uow_factory() as uow:
            return await read_profile(uow, user_id)


async def read_profile(
    uow: UnitOfWork, user_id: int, levels: Sequence[LoyaltyLevel] | None = None
) -> Profile:
    """The member with their account and level, in the caller's transaction (`levels`: the
    levels when already read). Raises `NotFound`."""
    user = await uow.users.get(user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist")
    account = await uow.ledger.get_account(user_id)
    levels = await uow.levels.all() if levels is None else levels
    return Profile(user, account, level_for(account.completed_spend, levels))
