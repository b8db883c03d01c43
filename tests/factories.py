"""polyfactory factories for test data: YClients records and users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from polyfactory import Use
from polyfactory.factories import DataclassFactory

from src.domain.booking import BookingStatus
from src.domain.record import ClientInfo, ServiceLine, YClientsRecord
from src.domain.user import Role, User

COMPANY_ID = 873456
BASE_TIME = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


class ServiceLineFactory(DataclassFactory[ServiceLine]):
    title = Use(lambda: "Haircut")
    cost = Use(lambda: Decimal("2500.00"))


class ClientInfoFactory(DataclassFactory[ClientInfo]):
    name = Use(DataclassFactory.__faker__.first_name)
    phone = None
    email = None


class RecordFactory(DataclassFactory[YClientsRecord]):
    """A plain record: company 873456, one 2500.00 service, no client data, pending."""

    __set_as_default_factory_for_type__ = True
    company_id = COMPANY_ID
    record_id = Use(DataclassFactory.__random__.randint, 1, 10**9)
    status = BookingStatus.PENDING
    appointment_at = BASE_TIME + timedelta(days=10)
    last_change_at = BASE_TIME
    services = Use(lambda: (ServiceLine("Manicure", Decimal("2500.00")),))
    staff_name = "Anna"
    client = None
    comment = ""
    deleted = False


class UserFactory(DataclassFactory[User]):
    id = Use(DataclassFactory.__random__.randint, 1, 10**9)
    email = Use(DataclassFactory.__faker__.email)
    password_hash = "plain$secret123"
    role = Role.USER
    phone = None
    phone_key = None
    name = None
    unique_code = None
    created_at = BASE_TIME
