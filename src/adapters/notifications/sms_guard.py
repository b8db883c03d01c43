"""What SMS may cost the salon: only to the regions it serves, within an hourly budget.

SMS pumping (one address sent 60 SMS to premium `+882` numbers in 90 s) is stopped twice: a
number outside `SMS_ALLOWED_REGIONS` (by its country, read with `phonenumbers`; a number
written without a country code belongs to the salon's region) gets no SMS, and the whole
service sends at most `SMS_BUDGET_PER_HOUR` an hour (a sliding window in Redis, or in this
process without it). A refusal is logged (`sms_refused`, with `reason` region or budget) and
counted in Prometheus (`sms_refused_total{reason}`).
"""

from __future__ import annotations

import logging

import phonenumbers

from src.adapters.notifications.console import SmsSender
from src.application.errors import NotificationFailed, RateLimited
from src.application.ports.auth import AttemptCounters

log = logging.getLogger(__name__)

BUDGET_KEY = "sms-budget"
HOUR = 3600.0


def phone_region(phone: str, salon_region: str) -> str | None:
    """The region (ISO 3166 code) of a valid number, None for one that is not valid."""
    try:
        number = phonenumbers.parse(phone, salon_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.region_code_for_number(number)


class SmsRegions:
    """Which numbers may get an SMS: valid numbers of the allowed regions."""

    def __init__(self, allowed: frozenset[str], salon_region: str) -> None:
        self.allowed = allowed
        self.salon_region = salon_region

    def refusal(self, phone: str) -> str | None:
        """Why this number gets no SMS, for the member to read; None when it may."""
        if phone_region(phone, self.salon_region) in self.allowed:
            return None
        where = ", ".join(sorted(self.allowed))
        return f"SMS are sent only to valid numbers of {where}; this number is not one"


class SmsBudgetExhausted(RateLimited):
    """The service's hourly SMS budget is spent; the member tries again later."""


class GuardedSms:
    """An SMS sender behind the region rule and the service-wide hourly budget."""

    def __init__(
        self,
        sender: SmsSender,
        regions: SmsRegions,
        counters: AttemptCounters,
        budget_per_hour: int,
    ) -> None:
        self.sender = sender
        self.regions = regions
        self.counters = counters
        self.budget = budget_per_hour

    async def send_sms(self, to: str, text: str, code: str | None = None) -> None:
        refusal = self.regions.refusal(to)
        if refusal is not None:
            region = phone_region(to, self.regions.salon_region) or "invalid"
            log.warning("sms_refused", extra={"reason": "region", "region": region})
            raise NotificationFailed(f"phone: {refusal}")
        wait = await self.counters.hit([(BUDGET_KEY, self.budget)], HOUR)
        if wait is not None:
            log.warning(
                "sms_refused",
                extra={"reason": "budget", "budget_per_hour": self.budget, "retry_after": wait},
            )
            minutes = max(1, round(wait / 60))
            raise SmsBudgetExhausted(
                f"could not send the SMS now; try again in about {minutes} minutes",
                retry_after=wait,
            )
        await self.sender.send_sms(to, text, code)
