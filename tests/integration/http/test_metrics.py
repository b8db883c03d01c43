"""/metrics carries the business counters next to the HTTP ones."""

from __future__ import annotations

import re

from src.domain.booking import BookingStatus
from tests.integration.http.conftest import WEBHOOK_SECRET, Api, webhook_body


def _value(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} ([0-9.e+-]+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


async def test_metrics_count_webhooks_processing_and_points(api: Api) -> None:
    before = (await api.client.get("/metrics")).text
    body = webhook_body(4242)
    url, params = "/api/v1/yclients/webhook", {"secret": WEBHOOK_SECRET}
    ack = (await api.client.post(url, params=params, content=body)).json()
    await api.client.post(url, params=params, content=body)  # duplicate
    await api.container.process_webhook(ack["event_id"])
    member = await api.member()
    await api.ingest(api.record(status=BookingStatus.COMPLETED, email=member.user.email))
    after = (await api.client.get("/metrics")).text
    for name, grew_by in [
        ('yclients_webhooks_received_total{outcome="accepted"}', 1),
        ('yclients_webhooks_received_total{outcome="duplicate"}', 1),
        ("yclients_webhooks_processed_total", 1),
    ]:
        assert _value(after, name) - _value(before, name) == grew_by, name
    assert _value(after, "loyalty_points_awarded_total") > _value(
        before, "loyalty_points_awarded_total"
    )


async def test_metrics_count_points_spent_and_ledger_writes(api: Api) -> None:
    from src.domain.client_codes import comment_line

    before = (await api.client.get("/metrics")).text
    admin, member = await api.admin(), await api.member()
    await api.client.post(
        f"/api/v1/admin/users/{member.id}/points",
        json={"amount": "1000", "reason": "gift"},
        headers=admin.headers,
    )
    form = (await api.client.get("/api/v1/booking/form", headers=member.headers)).json()
    record = api.record(comment=comment_line(form["unique_code"]))
    await api.ingest(record)
    booking_id = (await api.booking(record.record_id)).id
    made = await api.client.post(
        "/api/v1/loyalty/redemptions",
        json={"booking_id": booking_id, "points": "300"},
        headers=member.headers,
    )
    await api.client.delete(
        f"/api/v1/loyalty/redemptions/{made.json()['id']}", headers=member.headers
    )
    await api.client.post(
        f"/api/v1/admin/users/{member.id}/redemptions",
        json={"points": "100", "reason": "walk-in"},
        headers=admin.headers,
    )
    after = (await api.client.get("/metrics")).text
    for name, grew_by in [
        ('loyalty_points_spending_total{flow="held"}', 300),
        ('loyalty_points_spending_total{flow="released"}', 300),
        ('loyalty_points_spending_total{flow="redeemed"}', 100),
        ('loyalty_ledger_entries_total{kind="ADJUSTMENT"}', 1),
        ('loyalty_ledger_entries_total{kind="HOLD"}', 1),
        ('loyalty_ledger_entries_total{kind="RELEASE"}', 1),
        ('loyalty_ledger_entries_total{kind="REDEMPTION"}', 1),
    ]:
        assert _value(after, name) - _value(before, name) == grew_by, name
