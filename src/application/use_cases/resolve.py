"""ResolveUser: which member a booking belongs to, by code, then email, then phone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from src.application.ports.users import ContactMatches, UserRepository
from src.domain.booking import Booking, BookingKey, MatchMethod
from src.domain.client_codes import extract_code
from src.domain.contacts import DEFAULT_REGION, normalize_email, phone_key
from src.domain.unmatched import Miss, Tried, describe


@dataclass(frozen=True, slots=True)
class Resolution:
    user_id: int | None
    method: MatchMethod | None
    reason: str | None  # why nobody was linked (None when linked)


class ResolveUser:
    """Resolves a batch of bookings with one query: codes, emails and phones looked up
    together (the email and phone of a booking its code links are looked up and unused).

    An email or phone shared by several members links nobody by that rule (the next rule is
    still tried) and the reason says so; a code that belongs to nobody falls through too.
    """

    def __init__(
        self, users: UserRepository, verified_only: bool = True, region: str = DEFAULT_REGION
    ) -> None:
        self.users = users
        self.region = region  # the salon's region: how a phone without its country code reads
        # Email and phone are typed by whoever books (and by whoever registers): only a
        # contact its member proved they own may link a visit and its points to them.
        self.verified_only = verified_only

    async def many(self, bookings: Sequence[Booking]) -> dict[BookingKey, Resolution]:
        contacts = {
            b.key: (
                extract_code(b.comment),
                normalize_email(b.client_email),
                phone_key(b.client_phone, self.region),
            )
            for b in bookings
        }
        unreadable = {b.key for b in bookings if b.client_phone and contacts[b.key][2] is None}
        codes = {c for c, _, _ in contacts.values() if c}
        emails = {e for _, e, _ in contacts.values() if e}
        phones = {p for _, _, p in contacts.values() if p}
        found = (
            await self.users.find_contacts(codes, emails, phones, self.verified_only)
            if codes or emails or phones
            else ContactMatches()
        )

        out: dict[BookingKey, Resolution] = {}
        for key, (code, email, phone) in contacts.items():
            if code in found.by_code:
                out[key] = Resolution(found.by_code[code], MatchMethod.CODE, None)  # type: ignore[index]
                continue
            reasons: list[Miss] = []
            if code:
                reasons.append(Miss(Tried.CODE, code))
            linked = self._unique(email, found.by_email, "email", MatchMethod.EMAIL, reasons)
            linked = linked or self._unique(
                phone, found.by_phone, "phone", MatchMethod.PHONE, reasons
            )
            if not linked and key in unreadable:
                # Linking compares numbers: a phone that is not one links nobody.
                reasons.append(Miss(Tried.UNREADABLE_PHONE))
            if linked:
                out[key] = linked
            else:
                if not (code or email or phone or key in unreadable):
                    reasons.append(Miss(Tried.NO_CONTACTS))
                out[key] = Resolution(None, None, describe(reasons))
        return out

    async def one(self, booking: Booking) -> Resolution:
        return (await self.many([booking]))[booking.key]

    @staticmethod
    def _unique(
        value: str | None,
        index: dict[str, list[int]],
        label: str,
        method: MatchMethod,
        reasons: list[Miss],
    ) -> Resolution | None:
        if not value:
            return None
        ids = index.get(value, [])
        shown = value if label == "email" else f"…{value[-4:]}"  # a phone: its last 4 digits
        if len(ids) == 1:
            return Resolution(ids[0], method, None)
        reasons.append(Miss(Tried(label), shown, len(ids)))
        return None
