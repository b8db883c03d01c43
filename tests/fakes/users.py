"""In-memory members (`UserRepository`)."""

from __future__ import annotations

import copy
from collections.abc import Collection
from dataclasses import asdict
from datetime import UTC, datetime
from decimal import Decimal

from src.application.errors import ContactTaken, DuplicateEmail
from src.application.ports.paging import Page
from src.application.ports.users import ContactMatches, MemberQuery, MemberSummary, NewUser
from src.domain.booking import BookingStatus
from src.domain.user import Role, User
from src.domain.verification import Purpose
from tests.fakes.store import Store, page_of


class FakeUsers:
    def __init__(self, store: Store) -> None:
        self.s = store

    async def add(self, user: NewUser) -> User:
        if any(u.email.lower() == user.email.lower() for u in self.s.users.values()):
            raise DuplicateEmail(f"a user with email {user.email} already exists")
        new = User(id=self.s.next_id(), created_at=datetime.now(UTC), **asdict(user))
        self.s.users[new.id] = new
        return copy.copy(new)

    async def get(self, user_id: int) -> User | None:
        u = self.s.users.get(user_id)
        return copy.copy(u) if u else None

    async def get_many(self, user_ids: Collection[int]) -> dict[int, User]:
        return {i: copy.copy(self.s.users[i]) for i in set(user_ids) if i in self.s.users}

    async def get_by_email(self, email: str) -> User | None:
        wanted = email.lower()
        return next(
            (copy.copy(u) for u in self.s.users.values() if u.email.lower() == wanted), None
        )

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        self.s.users[user_id].password_hash = password_hash

    async def set_unique_code(self, user_id: int, code: str) -> bool:
        if any(u.unique_code == code for u in self.s.users.values() if u.id != user_id):
            return False
        user = self.s.users[user_id]
        if user.unique_code is None:
            user.unique_code = code
        return True

    async def ids_without_code(self, limit: int) -> list[int]:
        return sorted(u.id for u in self.s.users.values() if u.unique_code is None)[:limit]

    async def find_contacts(
        self,
        codes: Collection[str],
        emails: Collection[str],
        phone_keys: Collection[str],
        verified_only: bool = False,
    ) -> ContactMatches:
        wanted = set(codes)
        return ContactMatches(
            {u.unique_code: u.id for u in self.s.users.values() if u.unique_code in wanted},
            self._group(
                {e.lower() for e in emails},
                lambda u: u.email.lower() if u.email_verified_at or not verified_only else None,
            ),
            self._group(
                set(phone_keys),
                lambda u: u.phone_key if u.phone_verified_at or not verified_only else None,
            ),
        )

    async def search(self, query: MemberQuery) -> Page[MemberSummary]:
        text = query.text.lower()

        def hit(u: User) -> bool:
            if query.clients_only and u.role is Role.ADMIN:
                return False
            fields = (u.email, u.name, u.unique_code, u.phone_key)
            return not text or any(text in f.lower() for f in fields if f)

        def last_visit(user_id: int) -> datetime | None:
            visits = [
                b.appointment_at for b in self.s.bookings.values()
                if b.user_id == user_id and b.status is BookingStatus.COMPLETED
            ]  # fmt: skip
            return max(visits, default=None)

        found = sorted((u for u in self.s.users.values() if hit(u)), key=lambda u: -u.id)
        items = []
        for u in found:
            account = self.s.accounts.get(u.id)
            items.append(
                MemberSummary(
                    copy.copy(u),
                    account.balance if account else Decimal(0),
                    account.completed_spend if account else Decimal(0),
                    last_visit(u.id),
                )
            )
        return page_of(items, query.limit, query.offset)

    async def lock_admin_ids(self) -> list[int]:
        return sorted(u.id for u in self.s.users.values() if u.role is Role.ADMIN)

    async def set_role(self, user_id: int, role: Role) -> None:
        self.s.users[user_id].role = role

    async def trust_contacts(
        self, at: datetime, registered_before: datetime
    ) -> tuple[int, int, int, int]:
        users = list(self.s.users.values())
        holders: dict[str, list[User]] = {}
        for u in users:
            if u.phone_key:
                holders.setdefault(u.phone_key, []).append(u)
        shared = {
            k for k, us in holders.items() if len(us) > 1 or any(u.phone_verified_at for u in us)
        }
        emails = phones = skipped = 0
        for u in users:
            if u.created_at is None or u.created_at >= registered_before:
                continue
            if u.email_verified_at is None:
                u.email_verified_at, emails = at, emails + 1
            if u.phone_key and u.phone_verified_at is None:
                if u.phone_key in shared:
                    skipped += 1
                else:
                    u.phone_verified_at, phones = at, phones + 1
        return emails, phones, skipped, len(shared)

    async def lock(self, user_id: int) -> User | None:
        return await self.get(user_id)

    async def set_phone(self, user_id: int, phone: str, phone_key: str) -> None:
        user = self.s.users[user_id]
        user.phone, user.phone_key, user.phone_verified_at = phone, phone_key, None

    async def mark_verified(self, user_id: int, purpose: Purpose, at: datetime) -> None:
        # The partial unique indexes: one member at a time holds a verified contact.
        user = self.s.users[user_id]
        for other in self.s.users.values():
            if other.id == user_id:
                continue
            same_email = other.email.lower() == user.email.lower()
            if purpose is Purpose.EMAIL and other.email_verified_at is not None and same_email:
                raise ContactTaken("email: already verified by another member")
            same_phone = other.phone_key == user.phone_key
            if purpose is Purpose.PHONE and other.phone_verified_at is not None and same_phone:
                raise ContactTaken("phone: already verified by another member")
        if purpose is Purpose.EMAIL:
            user.email_verified_at = at
        else:
            user.phone_verified_at = at

    def _group(self, wanted: set[str], attr) -> dict[str, list[int]]:  # type: ignore[no-untyped-def]
        out: dict[str, list[int]] = {}
        for u in sorted(self.s.users.values(), key=lambda u: u.id):
            if attr(u) in wanted:
                out.setdefault(attr(u), []).append(u.id)
        return out
