"""Verification codes: issuing (rate limits per member and purpose, the message texts) and
checking them (wrong tries per code and per day). Every flow that sends a code uses
`VerificationCodes`: verification of email and phone, password reset."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from src.application.errors import (
    Conflict,
    InvalidCode,
    NotificationFailed,
    RateLimited,
    ValidationFailed,
)
from src.application.ports.clock import Clock
from src.application.ports.notify import Notifier
from src.application.ports.uow import UnitOfWork
from src.domain.contacts import e164_of_key
from src.domain.user import User
from src.domain.verification import (
    CODE_TTL,
    KEEP_CODES,
    MAX_WRONG_TRIES,
    RESEND_GAP,
    SEND_WINDOW,
    SENDS_PER_HOUR,
    WRONG_CODES_PER_DAY,
    Purpose,
    VerificationCode,
    code_digest,
    new_code,
    same_digest,
    wrong_codes_blocked_until,
)

log = logging.getLogger(__name__)


_SUBJECTS = {
    Purpose.EMAIL: "Your email verification code",
    Purpose.PHONE: "",
    Purpose.PASSWORD_RESET: "Your password reset code",
}
_TEXTS = {
    Purpose.EMAIL: "Your code to verify this email: {code}. It expires in 10 minutes.",
    Purpose.PHONE: "Your verification code: {code}. It expires in 10 minutes.",
    Purpose.PASSWORD_RESET: (
        "Your password reset code: {code}. It expires in 10 minutes. If you did not ask to "
        "reset your password, ignore this message."
    ),
}


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A code to send, once the transaction that stored its digest has committed."""

    purpose: Purpose
    to: str
    code: str

    async def send(self, notifier: Notifier) -> None:
        text = _TEXTS[self.purpose].format(code=self.code)
        if self.purpose is Purpose.PHONE:
            await notifier.send_sms(self.to, text, code=self.code)
        else:
            await notifier.send_email(self.to, _SUBJECTS[self.purpose], text, code=self.code)


def contact_of(user: User, purpose: Purpose) -> tuple[str, str] | None:
    """(the contact a code is bound to, where it is sent): the email as stored (normalised);
    the phone by its key, and sent to the E.164 number that key stands for, so the code
    proves exactly the number linking compares. None when the member has no phone."""
    if purpose is Purpose.PHONE:
        if not user.phone or not user.phone_key:
            return None
        return user.phone_key, e164_of_key(user.phone_key)
    return user.email, user.email


_WHAT = {
    Purpose.EMAIL: "verify your email",
    Purpose.PHONE: "verify your phone",
    Purpose.PASSWORD_RESET: "reset your password",
}
WRONG_CODES_SUBJECT = "Too many wrong codes"
WRONG_CODES_TEXT = (
    "{count} wrong codes were typed today to {what}. Codes for this are refused until "
    "{until} UTC. If this was not you, someone may be trying to get into your account: your "
    "password is unchanged."
)


class SmsUnavailable(Conflict):
    """The salon sends no SMS (`SMS_PROVIDER=none`): phones are kept, not verified."""

    code = "sms_unavailable"


SMS_UNAVAILABLE = (
    "phone: this salon sends no SMS, so phones cannot be verified; your phone is kept but "
    "links no bookings (your email and your client code still do)"
)


@dataclass(slots=True)
class VerificationCodes:
    """Issues and checks codes (the machinery every flow shares).

    Limits, per member and purpose (so a password reset someone asks for does not spend the
    member's own verification codes, and no other account can spend them either): one code a
    minute, five an hour; five wrong tries per code and `WRONG_CODES_PER_DAY` across codes,
    after which no code of that purpose works and none is sent until the day is over, and the
    member is told by email. `sms_refusal(phone)` says why a phone gets no SMS (a region not
    served), None when it may; `sms=False`: no SMS at all (`SMS_PROVIDER=none`)."""

    secret: str
    clock: Clock
    notifier: Notifier | None = None
    sms: bool = field(default=True, kw_only=True)
    sms_refusal: Callable[[str], str | None] | None = field(default=None, kw_only=True)

    def digest(self, purpose: Purpose, user_id: int, contact: str, code: str) -> str:
        return code_digest(self.secret, purpose, user_id, contact, code)

    async def issue(self, uow: UnitOfWork, user: User, purpose: Purpose) -> Outgoing:
        """Store a new code's digest (the caller commits, then sends the `Outgoing`). Raises
        `RateLimited` past one code a minute or five an hour, per contact and per account."""
        found = contact_of(user, purpose)
        if found is None:
            raise ValidationFailed("phone: set a phone first (POST /api/v1/users/me/phone)")
        contact, to = found
        if purpose is Purpose.PHONE:
            if not self.sms:
                raise SmsUnavailable(SMS_UNAVAILABLE)
            refusal = self.sms_refusal(to) if self.sms_refusal else None
            if refusal is not None:
                raise ValidationFailed(f"phone: {refusal}")
        now = self.clock.now()
        await self._check_limits(uow, user.id, purpose, now)
        # Older codes count for no limit and the new one replaces them: forget them.
        await uow.verification_codes.delete_before(user.id, now - KEEP_CODES)
        code = new_code()
        await uow.verification_codes.add(
            VerificationCode(
                purpose=purpose,
                user_id=user.id,
                contact=contact,
                code_hash=self.digest(purpose, user.id, contact, code),
                created_at=now,
                expires_at=now + CODE_TTL,
            )
        )
        return Outgoing(purpose, to, code)

    async def consume_or_commit_wrong_try(
        self, uow: UnitOfWork, user: User, purpose: Purpose, code: str
    ) -> VerificationCode:
        """The member's valid code matching `code`, marked used (the caller commits). A wrong
        code counts a try and commits `uow` (whatever the caller did in it so far) before
        `InvalidCode` is raised, so the count holds whatever the caller does next: call it
        before the transaction's other writes."""
        found = contact_of(user, purpose)
        stored = await uow.verification_codes.lock_latest(user.id, purpose)
        now = self.clock.now()
        if stored is None or found is None or stored.contact != found[0]:
            raise InvalidCode("code: no code was sent for this; request one")
        recent = await uow.verification_codes.of_user_since(user.id, purpose, now - KEEP_CODES)
        blocked = wrong_codes_blocked_until(recent, now)
        if blocked is not None:
            raise _wrong_codes_limit(blocked, now)
        if stored.consumed_at is not None:
            raise InvalidCode("code: this code was already used; request a new one")
        if stored.exhausted:
            raise InvalidCode("code: too many wrong tries; request a new code")
        if stored.expired(now):
            raise InvalidCode("code: the code has expired; request a new one")
        given = code.strip()
        if not same_digest(stored.code_hash, self.digest(purpose, user.id, stored.contact, given)):
            stored.attempts += 1
            await uow.verification_codes.save(stored)
            await uow.commit()
            recent = [stored if c.id == stored.id else c for c in recent]
            blocked = wrong_codes_blocked_until(recent, now)
            if blocked is not None:
                await self._tell_owner(user, purpose, blocked)
                raise _wrong_codes_limit(blocked, now)
            left = MAX_WRONG_TRIES - stored.attempts
            if left <= 0:
                raise InvalidCode("code: wrong code; no tries left, request a new code")
            raise InvalidCode(f"code: wrong code; {left} tries left")
        stored.consumed_at = now
        await uow.verification_codes.save(stored)
        return stored

    async def _tell_owner(self, user: User, purpose: Purpose, until: datetime) -> None:
        """The member learns that their codes of this purpose are used up (by email, the
        account's own address; best effort)."""
        log.warning(
            "verification_wrong_codes_limit",
            extra={"user_id": user.id, "contact": purpose.value, "until": until.isoformat()},
        )
        if self.notifier is None:
            return
        text = WRONG_CODES_TEXT.format(
            count=WRONG_CODES_PER_DAY,
            what=_WHAT[purpose],
            until=until.strftime("%Y-%m-%d %H:%M"),
        )
        try:
            await self.notifier.send_email(user.email, WRONG_CODES_SUBJECT, text)
        except NotificationFailed as exc:
            log.warning(
                "wrong_codes_notice_not_sent", extra={"user_id": user.id, "reason": str(exc)}
            )

    async def _check_limits(
        self, uow: UnitOfWork, user_id: int, purpose: Purpose, now: datetime
    ) -> None:
        # Per account and purpose only: whatever other accounts (a stranger who registered
        # with this member's phone) or other purposes (a reset someone asked for) sent to the
        # same contact spends none of this member's allowance. Flooding one phone from many
        # accounts is bounded by the registration limit and the service's SMS budget.
        recent = await uow.verification_codes.of_user_since(user_id, purpose, now - KEEP_CODES)
        blocked = wrong_codes_blocked_until(recent, now)
        if blocked is not None:
            raise _wrong_codes_limit(blocked, now)
        sent = [c for c in recent if c.created_at >= now - SEND_WINDOW]
        wait = 0.0
        if sent:
            latest = max(c.created_at for c in sent)
            if now - latest < RESEND_GAP:
                wait = max(wait, (latest + RESEND_GAP - now).total_seconds())
            if len(sent) >= SENDS_PER_HOUR:
                oldest = sorted(c.created_at for c in sent)[-SENDS_PER_HOUR]
                wait = max(wait, (oldest + SEND_WINDOW - now).total_seconds())
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            raise RateLimited(
                "too many codes: at most one a minute and "
                f"{SENDS_PER_HOUR} an hour; try again in {seconds} seconds",
                retry_after=seconds,
            )


def _wrong_codes_limit(until: datetime, now: datetime) -> RateLimited:
    seconds = max(1, math.ceil((until - now).total_seconds()))
    return RateLimited(
        f"code: {WRONG_CODES_PER_DAY} wrong codes were typed today; no code works until "
        f"{until.strftime('%Y-%m-%d %H:%M')} UTC (in {seconds} seconds)",
        retry_after=seconds,
    )
