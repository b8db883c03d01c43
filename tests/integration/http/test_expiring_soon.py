"""GET /api/v1/loyalty shows the points expiring in the next 30 days (issue 14 item 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from src.entrypoints.settings import Settings
from tests.integration.http.conftest import Api, make_settings

LOYALTY = "/api/v1/loyalty"


@pytest.fixture
def settings(pg_url: str) -> Settings:
    return make_settings(pg_url, POINTS_TTL_DAYS=10)


async def test_loyalty_lists_points_expiring_soon(api: Api) -> None:
    member = await api.member()
    other = await api.member()
    await api.container.record_ttl()  # TTL 10 days from now on
    await api.container.adjust_points(member.id, Decimal("40"), "gift", admin_id=member.id)

    body = (await api.client.get(LOYALTY, headers=member.headers)).json()
    [soon] = body["expiring_soon"]
    assert soon["points"] == "40.00"
    left = datetime.fromisoformat(soon["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=9) < left <= timedelta(days=10)
    empty = (await api.client.get(LOYALTY, headers=other.headers)).json()
    assert empty["expiring_soon"] == []
