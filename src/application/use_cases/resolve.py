"""ResolveUser: which member a booking belongs to, by code, then email, then phone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from src.application.ports import UserRepository
from src.domain.booking import Booking, BookingKey, MatchMethod
from src.domain.codes import extract_code
from src.domain.contacts import normalize_email, phone_key


@dataclass(frozen=True, slots=True)
class Resolution:
    user_id: int | None
    method: MatchMethod | None
    reason: str | None  # why nobody was linked (None when linked)


class ResolveUser:
    """Resolves a batch of bookings with at most three queries: codes, emails, phones.

    An email or phone shared by several members links nobody by that rule (the next rule is
    still tried) and the reason says so; a code that belongs to nobody falls through too.
    """

    def __init__(self, users: UserRepository) -> None:
        self.users = users

    async def many(self, bookings: Sequence[Booking]) -> dict[BookingKey, Resolution]:
        codes = {b.key: extract_code(b.comment) for b in bookings}
        by_code = await self._lookup_codes({c for c in codes.values() if c})
        pending = [b for b in bookings if codes[b.key] not in by_code]
        emails = {b.key: normalize_email(b.client_email) for b in pending}
        phones = {b.key: phone_key(b.client_phone) for b in pending}
        wanted_emails = {e for e in emails.values() if e}
        wanted_phones = {p for p in phones.values() if p}
        by_email = await self.users.find_by_emails(wanted_emails) if wanted_emails else {}
        by_phone = await self.users.find_by_phone_keys(wanted_phones) if wanted_phones else {}

        out: dict[BookingKey, Resolution] = {}
        for b in bookings:
            code = codes[b.key]
            if code in by_code:
                out[b.key] = Resolution(by_code[code], MatchMethod.CODE, None)  # type: ignore[index]
                continue
            reasons: list[str] = []
            if code:
                reasons.append(f"code {code} belongs to no user")
            linked = self._unique(emails[b.key], by_email, "email", MatchMethod.EMAIL, reasons)
            linked = linked or self._unique(
                phones[b.key], by_phone, "phone", MatchMethod.PHONE, reasons
            )
            if linked:
                out[b.key] = linked
            else:
                if not (code or emails[b.key] or phones[b.key]):
                    reasons.append("no client code, email or phone in the booking")
                out[b.key] = Resolution(None, None, "; ".join(reasons))
        return out

    async def one(self, booking: Booking) -> Resolution:
        return (await self.many([booking]))[booking.key]

    async def _lookup_codes(self, codes: set[str]) -> dict[str, int]:
        return await self.users.find_by_codes(codes) if codes else {}

    @staticmethod
    def _unique(
        value: str | None,
        index: dict[str, list[int]],
        label: str,
        method: MatchMethod,
        reasons: list[str],
    ) -> Resolution | None:
        if not value:
            return None
        ids = index.get(value, [])
        shown = value if label == "email" else f"…{value[-4:]}"
        if len(ids) == 1:
            return Resolution(ids[0], method, None)
        if ids:
            reasons.append(f"{label} {shown} is shared by {len(ids)} users")
        else:
            reasons.append(f"{label} {shown} matches no user")
        return None
