"""Issue 23 item 5 (part): unmatched bookings as the desk's to-do list: today and the next days
first, cancelled and missed visits hidden by default, services, master and status on each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from src.domain.booking import BookingStatus
from tests.integration.http.conftest import Api
from tests.integration.http.test_console import _signed_in


async def test_the_unmatched_list_puts_the_coming_days_first(api: Api) -> None:
    await _signed_in(api)
    now = datetime.now(UTC)
    later = api.record(email="later@example.com", at=now + timedelta(days=3))
    soon = api.record(email="soon@example.com", at=now + timedelta(hours=1))
    past = api.record(email="past@example.com", at=now - timedelta(days=5))
    cancelled = api.record(email="gone@example.com", at=now + timedelta(days=1),
                           status=BookingStatus.CANCELLED)  # fmt: skip
    await api.ingest(later, soon, past, cancelled)
    page = (await api.client.get("/admin/unmatched")).text
    assert page.index("soon@example.com") < page.index("later@example.com")  # nearest first
    assert "past@example.com" not in page and "gone@example.com" not in page
    card = page.split("soon@example.com", 1)[0].rsplit('<section class="card booking"', 1)[1]
    assert "Manicure" in card and "Anna" in card and "Ожидает" in card
    everything = (await api.client.get("/admin/unmatched?show=all")).text
    for email in ("past@", "gone@", "soon@", "later@"):
        assert email in everything
