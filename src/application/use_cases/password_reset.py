"""Password reset by a code sent to the member's email.

Neither step tells whether an email belongs to a member: the request always answers the same
(the HTTP layer answers before it runs), and the confirmation answers one error for an
unknown email and a wrong code, after the same password hashing.
"""

from __future__ import annotations

import logging

from src.application.errors import InvalidCode, NotificationFailed, RateLimited
from src.application.ports.auth import PasswordHasher
from src.application.ports.notify import Notifier
from src.application.ports.uow import UnitOfWorkFactory
from src.application.use_cases.users import check_new_password
from src.application.use_cases.verification import VerificationCodes
from src.domain.contacts import normalize_email
from src.domain.user import User
from src.domain.verification import Purpose, new_code

log = logging.getLogger(__name__)

WRONG = "email or code is wrong, used or expired; request a new code"


class RequestPasswordReset:
    """Send a reset code to `email` if it belongs to a member; silently nothing otherwise
    (also when the send limits are reached: a 429 would say the email exists)."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, codes: VerificationCodes, notifier: Notifier
    ) -> None:
        self.uow_factory = uow_factory
        self.codes = codes
        self.notifier = notifier

    async def __call__(self, email: str) -> None:
        normalized = normalize_email(email) or ""
        async with self.uow_factory() as uow:
            found = await uow.users.get_by_email(normalized)
            user = await uow.users.lock(found.id) if found is not None else None
            if user is None:
                # The digest work a real code costs, so both paths take the same time.
                self.codes.digest(Purpose.PASSWORD_RESET, 0, normalized, new_code())
                return
            try:
                outgoing = await self.codes.issue(uow, user, Purpose.PASSWORD_RESET)
            except RateLimited:
                log.info("password_reset_limited", extra={"user_id": user.id})
                return
            await uow.commit()
        try:
            await outgoing.send(self.notifier)
        except NotificationFailed as exc:
            log.warning("password_reset_not_sent", extra={"user_id": user.id, "reason": str(exc)})


class ConfirmPasswordReset:
    """The code sent to the email sets a new password; every older token stops working
    (tokens carry a stamp of the password hash)."""

    def __init__(
        self, uow_factory: UnitOfWorkFactory, codes: VerificationCodes, hasher: PasswordHasher
    ) -> None:
        self.uow_factory = uow_factory
        self.codes = codes
        self.hasher = hasher

    async def __call__(self, email: str, code: str, new_password: str) -> User:
        check_new_password(new_password)
        normalized = normalize_email(email) or ""
        # Hashed before the lookup: an unknown email costs the same as a known one.
        new_hash = await self.hasher.hash(new_password)
        async with self.uow_factory() as uow:
            found = await uow.users.get_by_email(normalized)
            user = await uow.users.lock(found.id) if found is not None else None
            if user is None:
                self.codes.digest(Purpose.PASSWORD_RESET, 0, normalized, code)
                raise InvalidCode(WRONG)
            try:
                await self.codes.consume_or_commit_wrong_try(
                    uow, user, Purpose.PASSWORD_RESET, code
                )
            except (InvalidCode, RateLimited):  # used-up tries answer like any wrong code
                raise InvalidCode(WRONG) from None
            await uow.users.set_password_hash(user.id, new_hash)
            await uow.commit()
        user.password_hash = new_hash
        return user
