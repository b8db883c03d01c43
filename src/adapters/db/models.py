"""ORM models: the tables. Repositories map their rows to domain objects explicitly.

Every column here must match the Alembic migrations (a test runs autogenerate against them).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from advanced_alchemy.base import convention
from advanced_alchemy.types import BigIntIdentity, DateTimeUTC
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

MONEY = Numeric(12, 2)
PERCENT = Numeric(5, 2)
# advanced-alchemy's JsonB is the same variant, but breaks on SQLAlchemy 2.1 (it calls the
# removed `util.portable_instancemethod`), so it is spelled out here.
JSON_DOC = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=convention)
    type_annotation_map = {datetime: DateTimeUTC(timezone=True), Decimal: MONEY}  # noqa: RUF012


def table(model: type[Base]) -> Table:
    """The model's `Table`, typed as one, for Core statements."""
    return cast(Table, model.__table__)


def _id() -> Mapped[int]:
    return mapped_column(BigIntIdentity, Identity(start=1), primary_key=True)


def _created() -> Mapped[datetime]:
    # Set in Python, not by the server: SQLite then stores one fixed text format, which
    # keeps its (textual) datetime comparisons correct.
    return mapped_column(default=utcnow)


def _updated() -> Mapped[datetime]:
    return mapped_column(default=utcnow, onupdate=utcnow)


# Unique among verified contacts: one member at a time holds a verified phone or email.
VERIFIED_PHONE_INDEX = "ix_users_verified_phone_key"
VERIFIED_EMAIL_INDEX = "ix_users_verified_email_lower"


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = _id()
    email: Mapped[str] = mapped_column(String(320))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), server_default="user")
    phone: Mapped[str | None] = mapped_column(String(32))
    # The phone as a number (src/domain/contacts.py): a +7 number's 10 digits, else its E.164.
    phone_key: Mapped[str | None] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(255))
    unique_code: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()
    email_verified_at: Mapped[datetime | None] = mapped_column()
    phone_verified_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (
        Index("ix_users_phone_key", "phone_key"),
        Index("ix_users_unique_code", "unique_code", unique=True),
        # One member at a time may hold a verified phone (emails are unique anyway).
        Index(
            VERIFIED_PHONE_INDEX,
            "phone_key",
            unique=True,
            postgresql_where=text("phone_verified_at IS NOT NULL"),
            sqlite_where=text("phone_verified_at IS NOT NULL"),
        ),
    )


# Emails are unique whatever their case; lookups use the same expression.
Index("ix_users_email_lower", func.lower(UserRow.email), unique=True)
# A violation of either means another member verified the contact (`ContactTaken`).
VERIFIED_CONTACT_INDEXES = frozenset({VERIFIED_PHONE_INDEX, VERIFIED_EMAIL_INDEX})
Index(
    VERIFIED_EMAIL_INDEX,
    func.lower(UserRow.email),
    unique=True,
    postgresql_where=text("email_verified_at IS NOT NULL"),
    sqlite_where=text("email_verified_at IS NOT NULL"),
)


class BookingRow(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = _id()
    company_id: Mapped[int] = mapped_column(BigInteger)
    yclients_record_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    match_method: Mapped[str | None] = mapped_column(String(16))
    unmatched_reason: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    appointment_at: Mapped[datetime]
    # The salon's offset for appointment_at, in minutes (NULL: stored before it was kept).
    utc_offset_minutes: Mapped[int | None] = mapped_column(SmallInteger)
    last_change_at: Mapped[datetime]
    price: Mapped[Decimal] = mapped_column(server_default="0")
    services: Mapped[list[Any]] = mapped_column(JSON_DOC)  # [[title, "cost"], ...]
    staff_name: Mapped[str | None] = mapped_column(String(255))
    client_name: Mapped[str | None] = mapped_column(String(255))
    client_phone: Mapped[str | None] = mapped_column(String(64))
    client_email: Mapped[str | None] = mapped_column(String(320))
    # client_phone's key (as users.phone_key; migration 0013), written with it: what a member's
    # phone verification looks up among the unmatched bookings (an index, not a scan).
    client_phone_key: Mapped[str | None] = mapped_column(String(16))
    comment: Mapped[str] = mapped_column(Text, server_default="")
    deleted: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    bonus_points: Mapped[Decimal] = mapped_column(server_default="0")
    bonus_percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    bonus_basis: Mapped[Decimal] = mapped_column(server_default="0")
    ledger_step: Mapped[int] = mapped_column(Integer, server_default="0")
    # The seed's flag; always equal to bonus_points > 0 (written with them).
    loyalty_bonuses_awarded: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        UniqueConstraint("company_id", "yclients_record_id", name="uq_bookings_record"),
        # A member's bookings by date; serves the upcoming list (user, status, date >= now).
        Index("ix_bookings_user_id_appointment_at", "user_id", "appointment_at"),
        # The admin's list of unmatched bookings.
        Index(
            "ix_bookings_unmatched",
            "appointment_at",
            postgresql_where=text("user_id IS NULL"),
            sqlite_where=text("user_id IS NULL"),
        ),
        # Unmatched bookings by client contact: what a member's verification links.
        Index(
            "ix_bookings_unmatched_phone_key",
            "client_phone_key",
            postgresql_where=text("user_id IS NULL"),
            sqlite_where=text("user_id IS NULL"),
        ),
    )


Index(
    "ix_bookings_unmatched_email",
    func.lower(BookingRow.client_email),
    postgresql_where=text("user_id IS NULL"),
    sqlite_where=text("user_id IS NULL"),
)


class LevelRow(Base):
    __tablename__ = "loyalty_levels"

    id: Mapped[int] = _id()
    name: Mapped[str] = mapped_column(String(64), unique=True)
    min_spend: Mapped[Decimal]
    cashback_percent: Mapped[Decimal] = mapped_column(PERCENT)


class AccountRow(Base):
    __tablename__ = "loyalty_accounts"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    balance: Mapped[Decimal] = mapped_column(server_default="0")
    completed_spend: Mapped[Decimal] = mapped_column(server_default="0")
    updated_at: Mapped[datetime] = _updated()


class LedgerRow(Base):
    __tablename__ = "loyalty_transactions"

    id: Mapped[int] = _id()
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    booking_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("bookings.id", ondelete="SET NULL")
    )
    step: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal]
    percent: Mapped[Decimal | None] = mapped_column(PERCENT)
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    redemption_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("loyalty_redemptions.id", ondelete="SET NULL")
    )

    __table_args__ = (
        # Exactly once: a booking's ledger step can be written by one transaction only.
        UniqueConstraint("booking_id", "step", name="uq_loyalty_transactions_booking_step"),
        # ... and a redemption's HOLD, RELEASE or REDEMPTION entry once only.
        UniqueConstraint("redemption_id", "kind", name="uq_loyalty_transactions_redemption_kind"),
        Index("ix_loyalty_transactions_user_id_created_at", "user_id", "created_at"),
    )


class RedemptionRow(Base):
    __tablename__ = "loyalty_redemptions"

    id: Mapped[int] = _id()
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    booking_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("bookings.id", ondelete="SET NULL")
    )
    points: Mapped[Decimal]
    state: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="SET NULL")
    )
    # The visit's price when the hold was made (the cap's base), and the admin who captured
    # it at checkout (an id kept for the record, without a foreign key: see migration 0015).
    visit_price: Mapped[Decimal | None]
    captured_by: Mapped[int | None] = mapped_column(BigInteger)
    released_by: Mapped[int | None] = mapped_column(BigInteger)  # an admin or the member
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _updated()

    __table_args__ = (
        Index("ix_loyalty_redemptions_user_id_created_at", "user_id", "created_at"),
        Index("ix_loyalty_redemptions_state_booking_id", "state", "booking_id"),
        # At most one active (HELD) redemption per booking.
        Index(
            "ix_loyalty_redemptions_held_booking",
            "booking_id",
            unique=True,
            postgresql_where=text("state = 'HELD'"),
            sqlite_where=text("state = 'HELD'"),
        ),
    )


class WebhookEventRow(Base):
    __tablename__ = "webhook_events"

    id: Mapped[int] = _id()
    company_id: Mapped[int] = mapped_column(BigInteger)
    resource: Mapped[str] = mapped_column(String(64))
    resource_id: Mapped[int] = mapped_column(BigInteger)
    event_status: Mapped[str] = mapped_column(String(32))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    dedupe_key: Mapped[str] = mapped_column(String(64), unique=True)
    received_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None]
    attempted_at: Mapped[datetime | None]
    # A failed attempt is tried again by a batch no earlier than this (backoff per attempt).
    retry_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_webhook_events_state_received_at", "state", "received_at"),)


class QuarantinedRecordRow(Base):
    """A record set aside (see src/domain/quarantine.py): one row per record, the last reason."""

    __tablename__ = "quarantined_records"

    id: Mapped[int] = _id()
    company_id: Mapped[int] = mapped_column(BigInteger)
    record_id: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[str] = mapped_column(String(16))
    field: Mapped[str | None] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    quarantined_at: Mapped[datetime]

    __table_args__ = (
        UniqueConstraint("company_id", "record_id", name="uq_quarantined_records_company_record"),
    )


class SyncRunRow(Base):
    __tablename__ = "sync_runs"

    id: Mapped[int] = _id()
    company_id: Mapped[int] = mapped_column(BigInteger, index=True)
    trigger: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    heartbeat_at: Mapped[datetime | None]  # sync run heartbeat (0006)
    retry_of: Mapped[int | None] = mapped_column(BigInteger)  # the lost run it finishes (0014)
    fetched: Mapped[int] = mapped_column(Integer, server_default="0")
    created: Mapped[int] = mapped_column(Integer, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, server_default="0")
    unchanged: Mapped[int] = mapped_column(Integer, server_default="0")
    linked: Mapped[int] = mapped_column(Integer, server_default="0")
    unmatched: Mapped[int] = mapped_column(Integer, server_default="0")
    points_awarded: Mapped[Decimal] = mapped_column(server_default="0")
    errors: Mapped[int] = mapped_column(Integer, server_default="0")
    requests: Mapped[int] = mapped_column(Integer, server_default="0")  # (0017)
    kind: Mapped[str] = mapped_column(String(16), server_default="full")  # (0017)


class SalonRow(Base):
    """A salon (YClients company) the service keeps in step (0014); see src/domain/salon.py."""

    __tablename__ = "salons"

    id: Mapped[int] = _id()
    company_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(2))
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    secret_digest: Mapped[str] = mapped_column(String(64))  # SHA-256 hex; never the secret
    accepts_shared_secret: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    # The next scheduled sync (0019): NULL until the scheduler first sees the salon.
    next_sync_at: Mapped[datetime | None] = mapped_column(index=True)
    sync_failures: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # in a row


class OnceKeyRow(Base):
    """A staff action's one-time key: at most one per (actor, key); `result` is the first
    answer, NULL while the action runs (`src/application/use_cases/once.py`)."""

    __tablename__ = "once_keys"

    actor_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    action: Mapped[str] = mapped_column(String(200))
    fingerprint: Mapped[str] = mapped_column(String(64))
    result: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(index=True)


class AppStateRow(Base):
    """Small named values remembered between runs (the last reconciled loyalty switch)."""

    __tablename__ = "app_state"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime]


class LotExpiryRow(Base):
    """An expired lot (a positive ACCRUAL / ADJUSTMENT entry): the primary key keeps its
    EXPIRY entry to one."""

    __tablename__ = "points_lot_expiries"

    lot_entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("loyalty_transactions.id", ondelete="CASCADE"), primary_key=True
    )
    entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("loyalty_transactions.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    points: Mapped[Decimal]
    expired_at: Mapped[datetime]


class LotReminderRow(Base):
    """A lot whose expiry reminder went out (once per lot)."""

    __tablename__ = "points_lot_reminders"

    lot_entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("loyalty_transactions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    expires_at: Mapped[datetime]
    sent_at: Mapped[datetime]


class VerificationCodeRow(Base):
    """A code sent to verify an email or phone or to reset a password: only its HMAC digest
    is kept. The newest row per member and purpose is the live one."""

    __tablename__ = "verification_codes"

    id: Mapped[int] = _id()
    purpose: Mapped[str] = mapped_column(String(16))  # email | phone | password_reset
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    contact: Mapped[str] = mapped_column(String(320))  # normalised email / phone key
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    consumed_at: Mapped[datetime | None]

    __table_args__ = (
        # The live code and the send limits per account; the send limits per contact.
        Index("ix_verification_codes_user_id_purpose_id", "user_id", "purpose", "id"),
        Index("ix_verification_codes_contact_created_at", "contact", "created_at"),
    )


class DismissedClientRow(Base):
    """A client the desk marked "not a member" (src/domain/dismissed.py): their unmatched
    bookings leave the console's to-do list. `value` is a phone key or a normalised email."""

    __tablename__ = "dismissed_clients"

    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(320), primary_key=True)
    dismissed_by: Mapped[int] = mapped_column(BigInteger)
    dismissed_at: Mapped[datetime]
