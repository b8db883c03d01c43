"""A salon: one YClients company the service keeps in step, with its own webhook secret.

Salons are rows, not configuration: adding, pausing or rotating one needs no restart. The
webhook secret is random and stored only as its SHA-256 digest; the secret itself is shown
once (on create and on rotate) and compared in constant time.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_REGION = "RU"
SECRET_BYTES = 32
MAX_NAME_LENGTH = 200
MAX_COMPANY_ID = 2**63 - 1
_REGION = re.compile(r"[A-Z]{2}")


class SalonStatus(enum.StrEnum):
    ACTIVE = "active"  # synced on schedule, its webhooks processed
    PAUSED = "paused"  # not synced; its webhooks are kept (HELD) and processed on resume


class InvalidSalon(ValueError):
    """A salon field is malformed; the message names it."""


def new_secret() -> str:
    """A webhook secret: 32 random bytes, URL-safe (it goes into `?secret=`)."""
    return secrets.token_urlsafe(SECRET_BYTES)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison, so a secret cannot be guessed byte by byte."""
    if not given or expected is None:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def day_start(now: datetime, timezone: str) -> datetime:
    """Midnight of `now`'s day in `timezone`, in UTC (what "today" means for a salon)."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def check_name(name: str) -> str:
    name = name.strip()
    if not name:
        raise InvalidSalon("name: must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidSalon(f"name: at most {MAX_NAME_LENGTH} characters, got {len(name)}")
    if "\x00" in name:
        raise InvalidSalon("name: must not contain NUL characters")
    return name


def check_region(region: str) -> str:
    region = region.strip().upper()
    if not _REGION.fullmatch(region):
        raise InvalidSalon(
            f"region: expected a two-letter ISO country code such as RU, got {region[:10]!r}"
        )
    return region


def check_timezone(timezone: str) -> str:
    timezone = timezone.strip()
    try:
        if not timezone or len(timezone) > 64:
            raise ValueError
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidSalon(
            f"timezone: expected an IANA time zone such as Europe/Moscow, got {timezone[:64]!r}"
        ) from None
    return timezone


def check_company_id(company_id: int) -> int:
    if not 0 < company_id <= MAX_COMPANY_ID:
        raise InvalidSalon(f"company_id: expected a positive YClients id, got {company_id}")
    return company_id


@dataclass(slots=True)
class Salon:
    company_id: int
    name: str
    region: str
    timezone: str
    secret_digest: str
    created_at: datetime
    changed_at: datetime
    status: SalonStatus = SalonStatus.ACTIVE
    # Created from YCLIENTS_COMPANY_IDS: the deployment's shared YCLIENTS_WEBHOOK_SECRET is
    # accepted too, until the salon's own secret is rotated (the salon then has a URL of its own).
    accepts_shared_secret: bool = False
    id: int | None = None
    # The scheduler's (read-only here: `save` keeps them): next scheduled sync, and the
    # failed runs in a row that pushed it back.
    next_sync_at: datetime | None = None
    sync_failures: int = 0

    @classmethod
    def create(
        cls,
        company_id: int,
        name: str,
        *,
        region: str,
        timezone: str,
        now: datetime,
        accepts_shared_secret: bool = False,
    ) -> tuple[Salon, str]:
        """A new active salon and its webhook secret (shown once, stored as a digest)."""
        secret = new_secret()
        salon = cls(
            company_id=check_company_id(company_id),
            name=check_name(name),
            region=check_region(region),
            timezone=check_timezone(timezone),
            secret_digest=secret_digest(secret),
            created_at=now,
            changed_at=now,
            accepts_shared_secret=accepts_shared_secret,
        )
        return salon, secret

    @property
    def active(self) -> bool:
        return self.status is SalonStatus.ACTIVE

    def accepts(self, given: str | None, shared: str | None) -> bool:
        """Whether a webhook carrying `given` as its secret comes from this salon: its own
        secret, or the deployment's shared one while the salon still accepts it. Constant
        time in the secret (digests compared with `hmac.compare_digest`)."""
        if not given:
            return False
        own = hmac.compare_digest(secret_digest(given), self.secret_digest)
        return own or (self.accepts_shared_secret and same_secret(given, shared))

    def rotated(self, now: datetime) -> tuple[Salon, str]:
        """A new secret; the old one and the shared one stop working."""
        secret = new_secret()
        salon = replace(
            self, secret_digest=secret_digest(secret), accepts_shared_secret=False, changed_at=now
        )
        return salon, secret

    def changed(
        self,
        now: datetime,
        *,
        name: str | None = None,
        status: SalonStatus | None = None,
        timezone: str | None = None,
        region: str | None = None,
    ) -> Salon:
        return replace(
            self,
            name=check_name(name) if name is not None else self.name,
            status=status if status is not None else self.status,
            timezone=check_timezone(timezone) if timezone is not None else self.timezone,
            region=check_region(region) if region is not None else self.region,
            changed_at=now,
        )
