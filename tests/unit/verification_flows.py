"""The verification use cases wired to the unit fakes (shared by the unit tests)."""

from __future__ import annotations

from dataclasses import dataclass, field

from src.application.use_cases.password_reset import ConfirmPasswordReset, RequestPasswordReset
from src.application.use_cases.users import RegisterUser
from src.application.use_cases.verification import (
    ResendCode,
    SendWelcomeCodes,
    SetPhone,
    VerificationCodes,
    VerifyContact,
)
from src.domain.contacts import phone_key
from src.domain.verification import Purpose
from tests.fakes.auth import FakeHasher
from tests.fakes.notify import FakeNotifier
from tests.unit.conftest import World

SECRET = "unit-test-code-secret-0123456789abcdef"


@dataclass
class Flows:
    world: World
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    hasher: FakeHasher = field(default_factory=FakeHasher)

    @property
    def codes(self) -> VerificationCodes:
        return VerificationCodes(SECRET, self.world.clock, self.notifier)

    @property
    def register(self) -> RegisterUser:
        f = self.world.uow_factory
        return RegisterUser(f, self.hasher, welcome=SendWelcomeCodes(f, self.codes, self.notifier))

    @property
    def verify(self) -> VerifyContact:
        w = self.world
        return VerifyContact(w.uow_factory, self.codes, w.clock, w.switches)

    @property
    def resend(self) -> ResendCode:
        return ResendCode(self.world.uow_factory, self.codes, self.notifier)

    @property
    def set_phone(self) -> SetPhone:
        return SetPhone(self.world.uow_factory, self.codes, self.notifier)

    @property
    def reset_request(self) -> RequestPasswordReset:
        return RequestPasswordReset(self.world.uow_factory, self.codes, self.notifier)

    @property
    def reset_confirm(self) -> ConfirmPasswordReset:
        return ConfirmPasswordReset(self.world.uow_factory, self.codes, self.hasher)

    def last_code(self, purpose: Purpose, to: str | None = None) -> str:
        """The code of the newest message of this kind (to `to`, if given)."""
        if purpose is Purpose.PHONE:
            # SMS go to the phone's E.164 number, however it was typed.
            sms = [
                c for t, _, c in self.notifier.sms if to is None or phone_key(t) == phone_key(to)
            ]
            code = sms[-1] if sms else None
        else:
            mails = [
                c
                for t, subject, _, c in self.notifier.emails
                if (to is None or t == to)
                and c is not None  # a notice, not a code
                and ("reset" in subject) == (purpose.value != "email")
            ]
            code = mails[-1] if mails else None
        assert code is not None, f"no {purpose.value} code was sent"
        return code

    def sent(self) -> int:
        return len(self.notifier.emails) + len(self.notifier.sms)
