"""Verification of a member's email and phone by a code, and retroactive linking.

A code is sent after registration and on every change of phone; typing it marks the contact
verified (only verified contacts link bookings, see `ResolveUser`) and, in the same
transaction, links every still-unmatched booking with that contact to the member and awards
what it is due through `SettleVisit`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from src.application.conflicts import retry_on_conflict
from src.application.errors import (
    Conflict,
    ContactTaken,
    NotFound,
    NotificationFailed,
    RateLimited,
    ValidationFailed,
)
from src.application.ports.clock import Clock
from src.application.ports.notify import Notifier
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.switches import Switches
from src.application.use_cases.resolve import ResolveUser
from src.application.use_cases.users import PHONE_NOT_A_NUMBER
from src.application.use_cases.verification_codes import (
    SMS_UNAVAILABLE,
    SmsUnavailable,
    VerificationCodes,
    contact_of,
)
from src.application.use_cases.visit_settlement import SettleVisit
from src.domain.booking import Booking
from src.domain.contacts import DEFAULT_REGION, phone_key
from src.domain.user import User
from src.domain.verification import (
    Purpose,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # retries of a verification a deadlock or serialization failure aborted


async def link_unmatched(
    uow: UnitOfWork,
    user: User,
    purpose: Purpose,
    switches: Switches,
    award: SettleVisit,
    now: datetime,
) -> list[Booking]:
    """Retroactive linking, in the caller's transaction: every still-unmatched booking with
    the contact just verified, whatever its date, is locked (FOR UPDATE, as a page write
    locks it), resolved again by the usual rules (code, then email, then phone; this member's
    contact now counts) and linked; then `SettleVisit` awards it on the locked rows. A webhook
    for one of them waits for the locks and then finds it linked and awarded: once."""
    email = user.email if purpose is Purpose.EMAIL else None
    key = user.phone_key if purpose is Purpose.PHONE else None
    candidates = await uow.bookings.lock_unmatched_by_contact(email, key)
    if not candidates:
        return []
    resolved = await ResolveUser(
        uow.users, switches.verified_contacts_only, switches.phone_region
    ).many(candidates)
    linked: list[Booking] = []
    for booking in candidates:
        r = resolved[booking.key]
        if r.user_id is None or r.method is None or booking.id is None:
            continue
        await uow.bookings.relink(booking.id, r.user_id, r.method)
        booking.user_id, booking.match_method, booking.unmatched_reason = (
            r.user_id, r.method, None
        )  # fmt: skip
        linked.append(booking)
    await award(uow, [], locked=linked, loyalty_enabled=switches.loyalty_enabled, now=now)
    if linked:
        log.info(
            "bookings_linked_on_verification",
            extra={"user_id": user.id, "contact": purpose.value, "count": len(linked)},
        )
    return linked


@dataclass(frozen=True, slots=True)
class Verified:
    user: User
    linked: int  # bookings linked to the member by this verification


@dataclass(slots=True)
class VerifyContact:
    """`POST /users/me/{email|phone}/verify`: the code proves the contact; its unmatched
    bookings become the member's in the same transaction."""

    uow_factory: UnitOfWorkFactory
    codes: VerificationCodes
    clock: Clock
    switches: Switches
    award: SettleVisit = field(default_factory=SettleVisit)

    async def __call__(self, user_id: int, purpose: Purpose, code: str) -> Verified:
        if purpose is Purpose.PASSWORD_RESET:
            raise ValueError("a reset code verifies no contact")
        return await retry_on_conflict(
            lambda: self._verify(user_id, purpose, code), attempts=MAX_ATTEMPTS
        )

    async def _verify(self, user_id: int, purpose: Purpose, code: str) -> Verified:
        async with self.uow_factory() as uow:
            user = await uow.users.lock(user_id)
            if user is None:
                raise NotFound(f"user {user_id} does not exist")
            if contact_of(user, purpose) is None:
                raise ValidationFailed("phone: set a phone first (POST /api/v1/users/me/phone)")
            if purpose is Purpose.PHONE and not self.codes.sms:
                raise SmsUnavailable(SMS_UNAVAILABLE)
            await self.codes.consume_or_commit_wrong_try(uow, user, purpose, code)
            now = self.clock.now()
            await self._not_held_by_another(uow, user, purpose)
            await uow.users.mark_verified(user_id, purpose, now)
            if purpose is Purpose.EMAIL:
                user.email_verified_at = now
            else:
                user.phone_verified_at = now
            linked = await link_unmatched(uow, user, purpose, self.switches, self.award, now)
            await uow.commit()
        return Verified(user, len(linked))

    @staticmethod
    async def _not_held_by_another(uow: UnitOfWork, user: User, purpose: Purpose) -> None:
        """A clear 409 before writing; under a race the unique index decides instead."""
        emails = [user.email] if purpose is Purpose.EMAIL else []
        phones = [user.phone_key] if purpose is Purpose.PHONE and user.phone_key else []
        found = await uow.users.find_contacts([], emails, phones, verified_only=True)
        holders = [
            *found.by_email.get(user.email, []),
            *found.by_phone.get(user.phone_key or "", []),
        ]
        if any(uid != user.id for uid in holders):
            raise ContactTaken(f"{purpose.value}: already verified by another member")


@dataclass(slots=True)
class ResendCode:
    """`POST /users/me/{email|phone}/resend`: a new code (the older one dies)."""

    uow_factory: UnitOfWorkFactory
    codes: VerificationCodes
    notifier: Notifier

    async def __call__(self, user_id: int, purpose: Purpose) -> None:
        async with self.uow_factory() as uow:
            user = await uow.users.lock(user_id)
            if user is None:
                raise NotFound(f"user {user_id} does not exist")
            verified = (
                user.email_verified_at if purpose is Purpose.EMAIL else user.phone_verified_at
            )
            if verified is not None:
                raise Conflict(f"{purpose.value}: already verified")
            outgoing = await self.codes.issue(uow, user, purpose)
            await uow.commit()
        await outgoing.send(self.notifier)


@dataclass(slots=True)
class SetPhone:
    """`POST /users/me/phone`: set or change the phone and send it a code. A changed phone
    is unverified until its code is typed; bookings already linked stay where they are."""

    uow_factory: UnitOfWorkFactory
    codes: VerificationCodes
    notifier: Notifier
    phone_region: str = DEFAULT_REGION

    async def __call__(self, user_id: int, phone: str) -> User:
        key = phone_key(phone, self.phone_region)
        if key is None:
            raise ValidationFailed(PHONE_NOT_A_NUMBER)
        async with self.uow_factory() as uow:
            user = await uow.users.lock(user_id)
            if user is None:
                raise NotFound(f"user {user_id} does not exist")
            if user.phone_key == key and user.phone_verified_at is not None:
                return user  # the same verified phone: nothing to prove again
            user.phone, user.phone_key, user.phone_verified_at = phone.strip(), key, None
            if not self.codes.sms:  # SMS_PROVIDER=none: kept, unverified, links nothing
                await uow.users.set_phone(user_id, user.phone, key)
                await uow.commit()
                return user
            # Limits first: a refused code leaves the phone as it was.
            outgoing = await self.codes.issue(uow, user, Purpose.PHONE)
            await uow.users.set_phone(user_id, user.phone, key)
            await uow.commit()
        await outgoing.send(self.notifier)
        return user


@dataclass(slots=True)
class SendWelcomeCodes:
    """After registration: a code to the email and, if given, to the phone. Best effort:
    the member exists either way and can ask again (a limit or a mail server down is
    logged, not an error of the registration)."""

    uow_factory: UnitOfWorkFactory
    codes: VerificationCodes
    notifier: Notifier

    async def __call__(self, user: User) -> None:
        phone = user.phone_key is not None and self.codes.sms
        purposes = [Purpose.EMAIL] + ([Purpose.PHONE] if phone else [])
        for purpose in purposes:
            try:
                async with self.uow_factory() as uow:
                    outgoing = await self.codes.issue(uow, user, purpose)
                    await uow.commit()
                await outgoing.send(self.notifier)
            except (RateLimited, NotificationFailed, ValidationFailed) as exc:
                log.warning(
                    "verification_code_not_sent",
                    extra={"user_id": user.id, "contact": purpose.value, "reason": str(exc)},
                )
