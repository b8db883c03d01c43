"""polyfactory factory for test data: YClients records (the unit `World` and the
PostgreSQL concurrency tests build theirs from it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from polyfactory import Use
from polyfactory.factories import DataclassFactory

from src.domain.booking import BookingStatus
from src.domain.record import ServiceLine, YClientsRecord

COMPANY_ID = 873456
BASE_TIME = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


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
    utc_offset_minutes = None
