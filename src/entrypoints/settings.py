"""Settings from the environment (and `.env`), read once by the composition root."""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

import msgspec

from src.domain.contacts import DEFAULT_REGION, is_known_region
from src.domain.loyalty import DEFAULT_LEVELS, LoyaltyLevel

DEV_JWT_SECRET = "dev-insecure-jwt-secret-change-me"
DEV_WEBHOOK_SECRET = "dev-webhook-secret"
MIN_SECRET_LENGTH = 32  # bytes; shorter secrets are guessable offline from one token
DEFAULT_COMPANY_ID = 873456  # the simulator's (and the contract fixtures') company


class SettingsError(ValueError):
    """A setting is missing or malformed; the message names it."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    # Fail closed: production rules unless APP_ENV=dev is set explicitly (a production that
    # forgot it must not accept the published default secrets).
    APP_ENV: Literal["prod", "dev"] = "prod"  # dev: development rules
    DATABASE_URL: str = "sqlite+aiosqlite:///./data/app.db"
    REDIS_URL: str | None = None
    YCLIENTS_ENABLED: bool = True
    YCLIENTS_BASE_URL: str = "https://api.yclients.com/api/v1"
    YCLIENTS_PARTNER_TOKEN: str | None = None
    YCLIENTS_USER_TOKEN: str | None = None
    YCLIENTS_COMPANY_IDS: tuple[int, ...] = (DEFAULT_COMPANY_ID,)
    YCLIENTS_WEBHOOK_SECRET: str = DEV_WEBHOOK_SECRET
    YCLIENTS_WIDGET_URL: str | None = None
    YCLIENTS_RATE_LIMIT: float = 5.0
    YCLIENTS_PAGE_SIZE: int = 200
    YCLIENTS_TIMEOUT_SECONDS: float = 15.0  # one attempt
    YCLIENTS_RETRY_ATTEMPTS: int = 6
    YCLIENTS_RETRY_BUDGET_SECONDS: float = 60.0  # all attempts of one request
    LOYALTY_ENABLED: bool = True
    LOYALTY_LEVELS: tuple[LoyaltyLevel, ...] = DEFAULT_LEVELS
    SYNC_INTERVAL_MINUTES: int = 30
    # Seconds instead of minutes, for a soak run's sped-up clock only; 0 = use the minutes.
    SYNC_INTERVAL_SECONDS_OVERRIDE: Annotated[int, msgspec.Meta(ge=0)] = 0
    SYNC_PAST_DAYS: int = 30
    SYNC_FUTURE_DAYS: int = 60
    # A scheduled sync reads only what changed since the salon's last run (less the margin);
    # a salon whose last full sweep of the window is older than this gets one instead.
    SYNC_FULL_SWEEP_HOURS: Annotated[float, msgspec.Meta(gt=0)] = 24.0
    SYNC_INCREMENTAL_MARGIN_MINUTES: Annotated[float, msgspec.Meta(ge=0)] = 10.0
    SYNC_WAIT_SECONDS: float = 600.0  # how long `sync-bookings?wait=true` waits for the run
    WEBHOOK_MAX_ATTEMPTS: int = 5
    WEBHOOK_RETRY_DELAY_SECONDS: float = 5.0  # grows linearly per attempt, with jitter
    TASK_REDELIVERY_SECONDS: int = 120  # a task unacknowledged this long goes to another worker
    INBOX_SWEEP_AFTER_SECONDS: int = 120  # an event PENDING this long is enqueued again
    INBOX_SWEEP_INTERVAL_SECONDS: int = 60
    # Webhook batches: events of one company a worker claims and applies in one transaction.
    INBOX_BATCH_SIZE: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 200
    WORKER_METRICS_PORT: int = 0  # >0: a taskiq worker serves /metrics on this port
    TASK_QUEUE_NAME: str = "yclients-loyalty"  # Redis stream (and key prefix) of the tasks
    # Metrics access: set, GET /metrics answers only `Authorization: Bearer <METRICS_TOKEN>`.
    METRICS_TOKEN: str | None = None
    JWT_SECRET: str = DEV_JWT_SECRET
    JWT_TTL_MINUTES: int = 24 * 60
    # The service's public address, for the webhook URL shown for a salon; unset = the
    # address a request came to (API, console), HOST:PORT in the CLI.
    PUBLIC_URL: str | None = None
    HOST: str = "127.0.0.1"
    PORT: int = 8000
    WEB_CONCURRENCY: int = 0  # 0 = one worker per core
    # Behind a reverse proxy: its address(es) (comma-separated, `*` = any); their
    # X-Forwarded-For / -Proto are then believed (uvicorn's proxy headers). Unset: none are.
    FORWARDED_ALLOW_IPS: str | None = None
    SIMULATOR_PORT: int = 8100
    # Sync runs never stuck (heartbeat + reaper): a run silent this long is lost.
    SYNC_HEARTBEAT_SECONDS: float = 30.0  # a running sync's sign of life
    SYNC_STALE_MINUTES: float = 5.0  # RUNNING without heartbeat → FAILED; QUEUED → enqueued again
    SYNC_REAP_INTERVAL_SECONDS: int = 60  # how often the reaper looks
    LOG_LEVEL: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"  # any case
    LOG_FORMAT: Literal["console", "json"] = "console"
    # Spending points (redemptions) and bounds on point amounts
    REDEMPTION_MAX_PERCENT: Decimal = Decimal(30)  # of a booking's price, payable with points
    # When a member's hold becomes the salon's (no release; staff capture it): 0 = from the
    # start of the visit's day in the salon's time (ADMIN_TIMEZONE), N = N hours before it
    HOLD_LOCK_HOURS_BEFORE: int = 0
    ADJUSTMENT_MAX_POINTS: Decimal = Decimal(100_000)  # one admin adjustment, either way
    # CORS, for web apps served from another origin.
    CORS_ALLOW_ORIGINS: tuple[str, ...] = ()  # e.g. https://app.example.com; empty = no CORS
    # Admin console (/admin)
    ADMIN_SESSION_HOURS: float = 12.0  # a console sign-in lasts at most this long
    ADMIN_SESSION_IDLE_MINUTES: float = 60.0  # ... and ends sooner after this long unused
    ADMIN_LANGUAGE: Literal["ru", "en"] = "ru"  # the console's labels, dates and money format
    ADMIN_TIMEZONE: str = "Europe/Moscow"  # the salon's zone: times shown in the console
    # The salon's country (ISO 3166 code): a phone without its country code is read as dialled
    # there (`8 916 …` in RU); phones are stored and compared as E.164 numbers.
    SALON_REGION: str = DEFAULT_REGION
    # Contact verification: required = email/phone link bookings only once verified; off =
    # any stored contact links (for apps that verified contacts in their own sign-up)
    CONTACT_VERIFICATION: Literal["required", "off"] = "required"
    REGISTER_RATE_LIMIT_PER_HOUR: int = 30  # registrations per client address (and IPv6 /64)
    # Notifications (verification codes): unset SMTP_HOST / SMS_PROVIDER=console = log lines
    SMTP_HOST: str | None = None
    SMTP_PORT: int = 587
    SMTP_USER: str | None = None
    SMTP_PASSWORD: str | None = None
    SMTP_FROM: str | None = None
    SMTP_STARTTLS: bool = True  # false only for a relay on localhost
    # console = log lines (APP_ENV=dev only) | smsru | none (email-only: phones unverified)
    SMS_PROVIDER: Literal["console", "smsru", "none"] = "console"
    SMSRU_API_ID: str | None = None
    SMSRU_FROM: str | None = None  # an approved sender name; unset = the account's default
    SMS_ALLOWED_REGIONS: tuple[str, ...] = ()  # SMS go only to these; empty = SALON_REGION
    SMS_BUDGET_PER_HOUR: int = 200  # SMS the whole service may send an hour (all members)
    # Points expiry
    POINTS_TTL_DAYS: int = 0  # a credit expires this many days later; 0 = never (new lots only)
    POINTS_EXPIRY_REMINDER_DAYS: int = 7  # remind the member this many days before, once

    @property
    def sync_interval_seconds(self) -> int:
        """The periodic sync's interval: `SYNC_INTERVAL_SECONDS_OVERRIDE` when set (> 0)."""
        return self.SYNC_INTERVAL_SECONDS_OVERRIDE or self.SYNC_INTERVAL_MINUTES * 60

    @property
    def is_dev(self) -> bool:
        return self.APP_ENV == "dev"

    @property
    def uses_simulator(self) -> bool:
        """No real YClients tokens: talk to the built-in simulator instead."""
        return not (self.YCLIENTS_PARTNER_TOKEN and self.YCLIENTS_USER_TOKEN)

    def check_secrets(self) -> None:
        """Unless APP_ENV=dev, default or short secrets are refused: anyone could mint
        tokens or post hooks."""
        if self.is_dev:
            return
        for name, value, default in (
            ("JWT_SECRET", self.JWT_SECRET, DEV_JWT_SECRET),
            ("YCLIENTS_WEBHOOK_SECRET", self.YCLIENTS_WEBHOOK_SECRET, DEV_WEBHOOK_SECRET),
        ):
            if value == default or len(value.encode()) < MIN_SECRET_LENGTH:
                raise SettingsError(
                    f"{name}: set a random secret of {MIN_SECRET_LENGTH}+ bytes "
                    "(or APP_ENV=dev for development only)"
                )


def _choices() -> dict[str, tuple[str, ...]]:
    """Each setting with a fixed set of values (a `Literal`) → those values."""
    info = msgspec.inspect.type_info(Settings)
    assert isinstance(info, msgspec.inspect.StructType)
    return {
        f.name: tuple(str(v) for v in f.type.values)
        for f in info.fields
        if isinstance(f.type, msgspec.inspect.LiteralType)
    }


CHOICES = _choices()


def check_choices(values: Mapping[str, object]) -> None:
    """Each fixed-choice setting present in `values` holds one of its values; else a
    `SettingsError` naming the setting and what it accepts."""
    for name, allowed in CHOICES.items():
        if name in values and values[name] not in allowed:
            raise SettingsError(
                f"{name}: expected one of {', '.join(allowed)}, not {values[name]!r}"
            )


def check_notifications(settings: Settings) -> None:
    """The notification and verification settings hang together (the composition root)."""
    check_choices(msgspec.structs.asdict(settings))
    if settings.SMTP_HOST and not settings.SMTP_FROM:
        raise SettingsError("SMTP_FROM: set the sender address when SMTP_HOST is set")
    if settings.SMS_PROVIDER == "smsru" and not settings.SMSRU_API_ID:
        raise SettingsError("SMSRU_API_ID: required when SMS_PROVIDER=smsru")
    if settings.SMS_BUDGET_PER_HOUR < 0:
        raise SettingsError("SMS_BUDGET_PER_HOUR: expected 0 or more")
    if not settings.is_dev:
        # The console notifier writes every code, with its email or phone, to the log.
        if not settings.SMTP_HOST:
            raise SettingsError(
                "SMTP_HOST: set an SMTP server for the verification and reset emails; without "
                "it every code would be written to the log, which only APP_ENV=dev allows"
            )
        if settings.SMS_PROVIDER == "console":
            raise SettingsError(
                "SMS_PROVIDER: console writes codes to the log (APP_ENV=dev only); set smsru, "
                "or none to run email-only (phones kept, not verified)"
            )


def sms_regions(settings: Settings) -> frozenset[str]:
    """The regions SMS may go to (`SMS_ALLOWED_REGIONS`, else the salon's own)."""
    return frozenset(settings.SMS_ALLOWED_REGIONS or (settings.SALON_REGION,))


def _parse_regions(name: str, raw: str) -> tuple[str, ...]:
    """`RU, kz` → ("RU", "KZ"): region codes phonenumbers knows."""
    import phonenumbers

    regions = tuple(r.strip().upper() for r in raw.split(",") if r.strip())
    for region in regions:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise SettingsError(f"{name}: '{region}' is not a region code (e.g. RU, KZ, BY)")
    return regions


def _parse_levels(raw: str) -> tuple[LoyaltyLevel, ...]:
    """`Bronze:0:3,Silver:30000:5,Gold:100000:7` (name:min spend:cashback percent)."""
    levels = []
    for part in raw.split(","):
        try:
            name, spend, percent = (p.strip() for p in part.split(":"))
            levels.append(LoyaltyLevel(name, Decimal(spend), Decimal(percent)))
        except Exception as exc:
            raise SettingsError(f"LOYALTY_LEVELS: '{part}' is not name:min_spend:percent") from exc
    return tuple(levels)


def _parse_origins(raw: str) -> tuple[str, ...]:
    """`https://a.example, https://b.example` → origins without a trailing slash (a browser's
    `Origin` never has one)."""
    origins = tuple(o.strip().rstrip("/") for o in raw.split(",") if o.strip())
    for origin in origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise SettingsError(f"CORS_ALLOW_ORIGINS: '{origin}' is not an http(s) origin")
    return origins


def _read_dotenv(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    out = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key.strip()] = value.strip().strip("'\"")
    return out


def load_settings(env: Mapping[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Environment wins over `.env`; unknown variables are ignored."""
    source = {**_read_dotenv(dotenv or Path(".env")), **(os.environ if env is None else env)}
    fields = set(Settings.__struct_fields__)
    raw: dict[str, object] = {k: v for k, v in source.items() if k in fields and v != ""}
    if "YCLIENTS_COMPANY_IDS" in raw:
        ids = str(raw["YCLIENTS_COMPANY_IDS"]).replace(" ", "").split(",")
        if not all(i.isdigit() for i in ids):
            raise SettingsError("YCLIENTS_COMPANY_IDS: expected comma-separated numbers")
        raw["YCLIENTS_COMPANY_IDS"] = [int(i) for i in ids]
    if "CORS_ALLOW_ORIGINS" in raw:
        raw["CORS_ALLOW_ORIGINS"] = _parse_origins(str(raw["CORS_ALLOW_ORIGINS"]))
    if "SMS_ALLOWED_REGIONS" in raw:
        raw["SMS_ALLOWED_REGIONS"] = _parse_regions(
            "SMS_ALLOWED_REGIONS", str(raw["SMS_ALLOWED_REGIONS"])
        )
    if "LOYALTY_LEVELS" in raw:
        raw["LOYALTY_LEVELS"] = _parse_levels(str(raw["LOYALTY_LEVELS"]))
    if "LOG_LEVEL" in raw:
        raw["LOG_LEVEL"] = str(raw["LOG_LEVEL"]).strip().upper()
    check_choices(raw)
    if "SALON_REGION" in raw:
        region = str(raw["SALON_REGION"]).strip().upper()
        if not is_known_region(region):
            raise SettingsError(
                f"SALON_REGION: '{raw['SALON_REGION']}' is not a country code (e.g. RU, KZ, BY)"
            )
        raw["SALON_REGION"] = region
    try:
        return msgspec.convert(raw, Settings, strict=False)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting: {exc}") from exc
