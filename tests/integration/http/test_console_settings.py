"""Issue 23 item 9: settings that say what they are, and a replay that keeps the webhook list's
filter, over HTTP."""

from __future__ import annotations

from tests.integration.http.conftest import Api
from tests.integration.http.test_console import _signed_in, request


async def test_the_settings_page_shows_each_rule_with_its_setting(api: Api) -> None:
    await _signed_in(api)
    page = (await api.client.get("/admin/settings")).text
    assert "Правила для персонала" in page
    for setting, value in [
        ("REDEMPTION_MAX_PERCENT", "30\u00a0%"),
        ("HOLD_LOCK_HOURS_BEFORE", "в день визита"),
        ("ADJUSTMENT_MAX_POINTS", "100\u202f000,00"),
        ("POINTS_TTL_DAYS", "никогда не сгорают"),
        ("ADMIN_TIMEZONE", api.container.settings.ADMIN_TIMEZONE),
        ("ADMIN_LANGUAGE", "Русский"),
    ]:
        row = page.split(f'id="rule-{setting.lower()}"', 1)[1].split("</tr>", 1)[0]
        assert value in row and f"<code>{setting}</code>" in row, (setting, row)


async def test_a_replay_goes_back_to_the_list_as_it_was_filtered(api: Api) -> None:
    await _signed_in(api)
    refused = await request(api.client, "POST", "/admin/webhooks/999999/replay?state=DEAD", {})
    assert refused.headers["location"] == "/admin/webhooks?state=DEAD"
    unknown = await request(api.client, "POST", "/admin/webhooks/999999/replay?state=nope", {})
    assert unknown.headers["location"] == "/admin/webhooks"
