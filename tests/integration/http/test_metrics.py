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
