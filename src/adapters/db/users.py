"""UserRepository on SQL."""

from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    String,
    any_,
    bindparam,
    exists,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql

from src.adapters.db.executor import Executor, chunks, violated_unique_index
from src.adapters.db.models import (
    VERIFIED_CONTACT_INDEXES,
    AccountRow,
    BookingRow,
    UserRow,
    table,
    utcnow,
)
from src.application.errors import ConcurrentUpdate, ContactTaken, DuplicateEmail
from src.application.ports.paging import Page
from src.application.ports.users import ContactMatches, MemberQuery, MemberSummary, NewUser
from src.domain.money import ZERO
from src.domain.status import BookingStatus
from src.domain.user import Role, User
from src.domain.verification import Purpose

users = table(UserRow)
accounts = table(AccountRow)
bookings = table(BookingRow)
_email_key = func.lower(users.c.email)


def to_user(row: Any) -> User:
    return User(
        id=row.id,
        email=row.email,
        password_hash=row.password_hash,
        role=Role(row.role),
        phone=row.phone,
        phone_key=row.phone_key,
        name=row.name,
        unique_code=row.unique_code,
        created_at=row.created_at,
        email_verified_at=row.email_verified_at,
        phone_verified_at=row.phone_verified_at,
    )


_CONTACT_KEYS = (
    ("codes", users.c.unique_code, None),
    ("emails", _email_key, users.c.email_verified_at),
    ("phones", users.c.phone_key, users.c.phone_verified_at),
)


@functools.cache
def _contacts_statement(postgres: bool, kinds: tuple[bool, ...], verified_only: bool) -> Any:
    """UNION ALL of the lookups asked for (codes, emails, phones), each served by its index;
    rows are (lookup number, value, user id), in user id order. PostgreSQL takes each list as
    one array (`= ANY($1)`), so the statement is the same whatever the lengths."""
    parts = []
    for n, ((name, key, verified), wanted) in enumerate(zip(_CONTACT_KEYS, kinds, strict=True)):
        if not wanted:
            continue
        if postgres:
            match = key == any_(bindparam(name, type_=postgresql.ARRAY(String)))
        else:
            match = key.in_(bindparam(name, expanding=True))
        if verified_only and verified is not None:
            match = match & verified.is_not(None)
        parts.append(select(literal(n), key, users.c.id).where(match))
    return union_all(*parts).order_by(literal_column("3"))


# The columns the admin search looks in (phones by their key).
_SEARCHED = (users.c.email, users.c.name, users.c.unique_code, users.c.phone_key)


class SqlUsers:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def add(self, user: NewUser) -> User:
        now = utcnow()
        # ON CONFLICT on the lower(email) index: a taken email does not abort the transaction.
        stmt = (
            self.db.insert(users)
            .values(
                email=user.email,
                password_hash=user.password_hash,
                role=user.role.value,
                phone=user.phone,
                phone_key=user.phone_key,
                name=user.name,
                unique_code=user.unique_code,
                email_verified_at=user.email_verified_at,
                phone_verified_at=user.phone_verified_at,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing(index_elements=[_email_key])
            .returning(*users.c)
        )
        row = (await self.db.execute(stmt)).first()
        if row is None:
            raise DuplicateEmail(f"a user with email {user.email} already exists")
        return to_user(row)

    async def get(self, user_id: int) -> User | None:
        row = (await self.db.execute(select(users).where(users.c.id == user_id))).first()
        return to_user(row) if row else None

    async def get_many(self, user_ids: Collection[int]) -> dict[int, User]:
        out: dict[int, User] = {}
        for part in chunks(sorted(set(user_ids)), 1):
            for row in await self.db.execute(select(users).where(users.c.id.in_(part))):
                out[row.id] = to_user(row)
        return out

    async def get_by_email(self, email: str) -> User | None:
        stmt = select(users).where(_email_key == func.lower(email))
        row = (await self.db.execute(stmt)).first()
        return to_user(row) if row else None

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self.db.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(password_hash=password_hash, updated_at=utcnow())
        )

    async def set_unique_code(self, user_id: int, code: str) -> bool:
        taken = exists().where(users.c.unique_code == code, users.c.id != user_id)
        stmt = (
            update(users)
            .where(users.c.id == user_id, users.c.unique_code.is_(None), ~taken)
            .values(unique_code=code, updated_at=utcnow())
            .returning(users.c.id)
        )
        if (await self.db.execute(stmt)).first() is not None:
            return True
        # Not set: either the user already has a code (fine) or the code is someone else's.
        owner = await self.db.execute(select(users.c.id).where(users.c.unique_code == code))
        return owner.scalar() in (None, user_id)

    async def ids_without_code(self, limit: int) -> list[int]:
        stmt = (
            select(users.c.id)
            .where(users.c.unique_code.is_(None))
            .order_by(users.c.id)
            .limit(limit)
        )
        return list((await self.db.execute(stmt)).scalars())

    async def find_contacts(
        self,
        codes: Collection[str],
        emails: Collection[str],
        phone_keys: Collection[str],
        verified_only: bool = False,
    ) -> ContactMatches:
        found = ContactMatches()
        wanted = {
            "codes": sorted(set(codes)),
            "emails": sorted({e.lower() for e in emails}),
            "phones": sorted(set(phone_keys)),
        }
        kinds = tuple(bool(v) for v in wanted.values())
        if not any(kinds):
            return found
        stmt = _contacts_statement(self.db.is_postgres, kinds, verified_only)
        params = {k: v for k, v in wanted.items() if v}
        grouped = (found.by_email, found.by_phone)
        for n, value, uid in await self.db.execute(stmt, params):
            if n == 0:
                found.by_code[value] = uid
            else:
                grouped[n - 1].setdefault(value, []).append(uid)
        return found

    async def search(self, query: MemberQuery) -> Page[MemberSummary]:
        """One query for the page (balance, spend and last visit joined), one for the count.
        Case folding is the database's `lower()` on PostgreSQL and Python's on SQLite (its
        own knows ASCII only; engine.py registers `unicode_lower`); LIKE's `%` and `_` in
        what was typed are escaped."""
        fold = func.lower if self.db.is_postgres else func.unicode_lower
        where = []
        if query.text:
            needle = query.text.lower()
            where.append(
                or_(*(fold(column).contains(needle, autoescape=True) for column in _SEARCHED))
            )
        if query.clients_only:
            where.append(users.c.role != Role.ADMIN.value)
        last_visit = (
            select(func.max(bookings.c.appointment_at))
            .where(
                bookings.c.user_id == users.c.id,
                bookings.c.status == BookingStatus.COMPLETED.value,
            )
            .scalar_subquery()
        )
        stmt = (
            select(users, accounts.c.balance, accounts.c.completed_spend, last_visit.label("lv"))
            .outerjoin(accounts, accounts.c.user_id == users.c.id)
            .where(*where)
            .order_by(users.c.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        items = [
            MemberSummary(to_user(row), row.balance or ZERO, row.completed_spend or ZERO, row.lv)
            for row in await self.db.execute(stmt)
        ]
        count = select(func.count()).select_from(users).where(*where)
        total = (await self.db.execute(count)).scalar_one()
        return Page(items=items, total=total, limit=query.limit, offset=query.offset)

    async def lock_admin_ids(self) -> list[int]:
        stmt = select(users.c.id).where(users.c.role == Role.ADMIN.value).order_by(users.c.id)
        if self.db.is_postgres:
            stmt = stmt.with_for_update()
        return list((await self.db.execute(stmt)).scalars())

    async def set_role(self, user_id: int, role: Role) -> None:
        await self.db.execute(
            update(users).where(users.c.id == user_id).values(role=role.value, updated_at=utcnow())
        )

    async def lock(self, user_id: int) -> User | None:
        stmt = select(users).where(users.c.id == user_id)
        if self.db.is_postgres:
            # NO KEY UPDATE: a booking being linked to this member (a foreign key check takes
            # KEY SHARE) does not wait for it, nor deadlock with it.
            stmt = stmt.with_for_update(key_share=True)
        row = (await self.db.execute(stmt)).first()
        return to_user(row) if row else None

    async def set_phone(self, user_id: int, phone: str, phone_key: str) -> None:
        await self.db.execute(
            update(users)
            .where(users.c.id == user_id)
            .values(phone=phone, phone_key=phone_key, phone_verified_at=None, updated_at=utcnow())
        )

    async def mark_verified(self, user_id: int, purpose: Purpose, at: datetime) -> None:
        column = "email_verified_at" if purpose is Purpose.EMAIL else "phone_verified_at"
        stmt = update(users).where(users.c.id == user_id).values({column: at, "updated_at": at})
        try:
            await self.db.execute(stmt)
        except ConcurrentUpdate as exc:
            # The partial unique index over verified contacts: another member holds it (a
            # concurrent verification that committed first, which this one waited for).
            if violated_unique_index(exc.__cause__, users) in VERIFIED_CONTACT_INDEXES:
                raise ContactTaken(f"{purpose.value}: already verified by another member") from exc
            raise

    async def trust_contacts(
        self, at: datetime, registered_before: datetime
    ) -> tuple[int, int, int, int]:
        older = users.c.created_at < registered_before
        emails = await self.db.execute(
            update(users)
            .where(older, users.c.email_verified_at.is_(None))
            .values(email_verified_at=at, updated_at=at)
            .returning(users.c.id)
        )
        marked_emails = len(emails.all())
        # A phone key held by several members (or already verified by one) proves nothing.
        shared = (
            select(users.c.phone_key)
            .where(users.c.phone_key.is_not(None))
            .group_by(users.c.phone_key)
            .having((func.count() > 1) | (func.count(users.c.phone_verified_at) > 0))
        )
        shared_keys = [k for (k,) in await self.db.execute(shared)]
        skipped = (
            (
                await self.db.execute(
                    select(func.count())
                    .select_from(users)
                    .where(
                        older,
                        users.c.phone_key.in_(shared_keys),
                        users.c.phone_verified_at.is_(None),
                    )
                )
            ).scalar_one()
            if shared_keys
            else 0
        )
        stmt = update(users).where(
            older, users.c.phone_key.is_not(None), users.c.phone_verified_at.is_(None)
        )
        if shared_keys:
            stmt = stmt.where(users.c.phone_key.not_in(shared_keys))
        phones = await self.db.execute(
            stmt.values(phone_verified_at=at, updated_at=at).returning(users.c.id)
        )
        return marked_emails, len(phones.all()), int(skipped), len(shared_keys)
