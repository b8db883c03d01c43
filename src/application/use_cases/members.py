"""Admins find members and manage who is an admin."""

from __future__ import annotations

import re

from src.application.errors import Conflict, NotFound, ValidationFailed
from src.application.ports.auth import PasswordHasher
from src.application.ports.clock import Clock
from src.application.ports.paging import Page
from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.users import MemberQuery, MemberSummary, NewUser
from src.application.use_cases.users import MIN_PASSWORD_LENGTH
from src.domain.contacts import DEFAULT_REGION, normalize_email, phone_key
from src.domain.user import Role, User
from src.domain.verification import Purpose

MAX_QUERY_LENGTH = 100
_PHONE_LIKE = re.compile(r"^[\d\s()+\-.]+$")


def search_text(q: str | None, region: str = DEFAULT_REGION) -> str:
    """What to look for: a phone typed in any format becomes its key (how phones are stored
    for matching: a Russian number's last 10 digits, another's E.164 number); a partial
    phone its digits; anything else is trimmed."""
    text = (q or "").strip()
    if len(text) > MAX_QUERY_LENGTH:
        raise ValidationFailed(f"q: at most {MAX_QUERY_LENGTH} characters")
    if "\x00" in text:
        # Nothing stored holds one, and PostgreSQL refuses it in a query (a 500 before).
        raise ValidationFailed("q: must not contain NUL characters")
    if _PHONE_LIKE.match(text):
        key = phone_key(text, region)
        if key is not None:
            return key
        return re.sub(r"\D", "", text)  # a partial phone: its digits
    return text


class SearchMembers:
    """Members by email, phone, unique code or name (substring, any case), with balances."""

    def __init__(self, uow_factory: UnitOfWorkFactory, phone_region: str = DEFAULT_REGION) -> None:
        self.uow_factory = uow_factory
        self.phone_region = phone_region

    async def __call__(
        self, q: str | None, limit: int = 20, offset: int = 0, *, clients_only: bool = False
    ) -> Page[MemberSummary]:
        query = MemberQuery(
            text=search_text(q, self.phone_region), limit=limit, offset=offset,
            clients_only=clients_only,
        )  # fmt: skip
        async with self.uow_factory() as uow:
            return await uow.users.search(query)


class ChangeRole:
    """Make a member an admin or an admin a member; the last admin cannot be demoted."""

    def __init__(self, uow_factory: UnitOfWorkFactory) -> None:
        self.uow_factory = uow_factory

    async def __call__(self, user_id: int, role: Role) -> User:
        async with self.uow_factory() as uow:
            admins = await uow.users.lock_admin_ids()
            user = await uow.users.get(user_id)
            if user is None:
                raise NotFound(f"user {user_id} does not exist")
            if user.role is Role.ADMIN and role is not Role.ADMIN and admins == [user_id]:
                raise Conflict("role: cannot demote the last admin")
            if user.role is not role:
                await uow.users.set_role(user_id, role)
                user.role = role
            await uow.commit()
        return user


class EnsureAdmin:
    """`create-admin`: make the account with this email an admin, with the password given.

    The password is always set, also on an existing account: anyone may have registered the
    owner's email first (it is unverified until its code is typed), and promoting that account
    with its registrant's password made them an admin. The new hash changes the account's
    password stamp, so every token issued before it stops working; the email is marked
    verified (the operator vouches for it). Returns (user, created)."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, hasher: PasswordHasher, clock: Clock
    ) -> None:
        self.uow_factory = uow_factory
        self.hasher = hasher
        self.clock = clock

    async def __call__(self, email: str, password: str | None) -> tuple[User, bool]:
        normalized = normalize_email(email)
        if normalized is None or normalized.startswith("@") or normalized.endswith("@"):
            raise ValidationFailed("email: not a valid email address")
        if not password or len(password) < MIN_PASSWORD_LENGTH:
            raise ValidationFailed(
                f"password: create-admin sets the admin's password, of at least "
                f"{MIN_PASSWORD_LENGTH} characters (ADMIN_PASSWORD or standard input)"
            )
        password_hash = await self.hasher.hash(password)
        now = self.clock.now()
        async with self.uow_factory() as uow:
            existing = await uow.users.get_by_email(normalized)
            if existing is None:
                user = await uow.users.add(
                    NewUser(
                        email=normalized,
                        password_hash=password_hash,
                        role=Role.ADMIN,
                        email_verified_at=now,
                    )
                )
                await uow.commit()
                return user, True
            await uow.users.set_password_hash(existing.id, password_hash)
            if existing.role is not Role.ADMIN:
                await uow.users.set_role(existing.id, Role.ADMIN)
            if existing.email_verified_at is None:
                await uow.users.mark_verified(existing.id, Purpose.EMAIL, now)
            await uow.commit()
            admin = await uow.users.get(existing.id)
        assert admin is not None
        return admin, False
