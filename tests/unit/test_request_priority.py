"""The priority of YClients requests reaches the gateway: a sync a person waits on (the
API / console button, the CLI) is interactive, a scheduled one is background."""

from __future__ import annotations

import pytest

from src.application.ports.request_budget import Priority, priority_of_trigger
from tests.unit.conftest import World


@pytest.mark.parametrize(
    ("trigger", "priority"),
    [("manual", Priority.INTERACTIVE), ("cli", Priority.INTERACTIVE),
     ("schedule", Priority.BACKGROUND)],
)  # fmt: skip
async def test_a_sync_asks_for_its_pages_at_its_trigger_s_priority(
    world: World, trigger: str, priority: Priority
) -> None:
    await world.sync()(873456, trigger)
    assert world.gateway.priorities == [priority]


def test_unknown_triggers_are_background() -> None:
    assert priority_of_trigger("reaper") is Priority.BACKGROUND
