"""The members port: accounts, their contacts and the admin member search."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from src.application.ports.paging import Page
from src.domain.user import NewUser, Role, User
from src.domain.verification import Purpose


@dataclass(frozen=True, slots=True)
class MemberQuery:
    """Admin member search: `text` is matched (case-insensitive, substring) against email,
    name, unique code and the phone key (src/domain/contacts.py); empty lists everyone.
    Any case of any alphabet (`анна` finds «Анна»); `%` and `_` are characters like the
    others. `clients_only` leaves staff (admin) accounts out. Newest first."""

    text: str = ""
    limit: int = 20
    offset: int = 0
    clients_only: bool = False


@dataclass(frozen=True, slots=True)
class MemberSummary:
    """A member as admins list them: the user, their points balance, completed spend (their
    level) and the time of their last completed visit."""

    user: User
    balance: Decimal
    completed_spend: Decimal = Decimal(0)
    last_visit: datetime | None = None


@dataclass(frozen=True, slots=True)
class ContactMatches:
    """Members found by each kind of contact (see `UserRepository.find_contacts`)."""

    by_code: dict[str, int] = field(default_factory=dict)  # code → user id
    by_email: dict[str, list[int]] = field(default_factory=dict)  # normalised email → ids
    by_phone: dict[str, list[int]] = field(default_factory=dict)  # phone key → ids


class UserRepository(Protocol):
    async def add(self, user: NewUser) -> User:
        """Insert; raises `DuplicateEmail` if the email is taken."""
        ...

    async def get(self, user_id: int) -> User | None: ...

    async def get_many(self, user_ids: Collection[int]) -> dict[int, User]:
        """The users among `user_ids`, by id (missing ids left out), one query."""
        ...

    async def get_by_email(self, email: str) -> User | None: ...

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        """Replace the user's password hash (tokens made for the old one stop working)."""
        ...

    async def set_unique_code(self, user_id: int, code: str) -> bool:
        """Set the code if the user has none yet. False if the code belongs to someone else."""
        ...

    async def ids_without_code(self, limit: int) -> list[int]: ...

    async def find_contacts(
        self,
        codes: Collection[str],
        emails: Collection[str],
        phone_keys: Collection[str],
        verified_only: bool = False,
    ) -> ContactMatches:
        """Members by client code, by email (normalised) and by phone key, in one query; a
        shared email or phone lists every owner, in id order. `verified_only`: emails and
        phones count only where their owner verified them (codes always count)."""
        ...

    async def trust_contacts(
        self, at: datetime, registered_before: datetime
    ) -> tuple[int, int, int, int]:
        """Mark the unverified emails and phones of members created before
        `registered_before` verified, except phones several members share (and phones another
        member already verified): (emails marked, phones marked, phones skipped as shared,
        phone keys skipped)."""
        ...

    async def search(self, query: MemberQuery) -> Page[MemberSummary]:
        """Members matching `query.text` (see `MemberQuery`), with balances."""
        ...

    async def lock_admin_ids(self) -> list[int]:
        """Ids of every admin, locked until commit (two demotions cannot both pass)."""
        ...

    async def set_role(self, user_id: int, role: Role) -> None: ...

    async def lock(self, user_id: int) -> User | None:
        """The user, locked until commit against other writers of the row (not against
        bookings that reference it: FOR NO KEY UPDATE on PostgreSQL)."""
        ...

    async def set_phone(self, user_id: int, phone: str, phone_key: str) -> None:
        """Set or change the phone; it is unverified until its code is typed."""
        ...

    async def mark_verified(self, user_id: int, purpose: Purpose, at: datetime) -> None:
        """Mark the member's current email (EMAIL) or phone (PHONE) verified. Raises
        `ContactTaken` if another member has it verified (the unique index decides, so of
        two concurrent verifications one wins)."""
        ...
