"""Property: the send limits hold exactly as stated, whatever the timing of the requests.

For any sequence of resend attempts on one account (seconds apart drawn by hypothesis): no two
codes go out less than a minute apart, no hour holds more than five, an attempt is refused
only when one of those rules would break, and `Retry-After` is exactly when it would pass.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from src.application.errors import RateLimited
from src.domain.verification import RESEND_GAP, SEND_WINDOW, SENDS_PER_HOUR, Purpose
from tests.unit.conftest import World
from tests.unit.verification_flows import Flows


def _fits(accepted: list[timedelta], at: timedelta) -> bool:
    recent = [t for t in accepted if at - t < SEND_WINDOW]
    return all(at - t >= RESEND_GAP for t in accepted) and len(recent) < SENDS_PER_HOUR


@given(st.lists(st.integers(min_value=0, max_value=1800), min_size=1, max_size=25))
def test_send_limits_hold_and_are_no_stricter_than_stated(gaps: list[int]) -> None:
    async def run() -> None:
        world = World()
        flows = Flows(world)
        start = world.clock.now()
        user = await world.user("maria@example.com", verified=False)
        accepted: list[timedelta] = []
        for gap in gaps:
            world.clock.advance(seconds=gap)
            at = world.clock.now() - start
            try:
                await flows.resend(user.id, Purpose.EMAIL)
            except RateLimited as limited:
                assert not _fits(accepted, at)
                retry = timedelta(seconds=limited.retry_after)
                assert _fits(accepted, at + retry)
                assert not _fits(accepted, at + retry - timedelta(seconds=1))
                continue
            assert _fits(accepted, at)
            accepted.append(at)
        assert len(flows.notifier.emails) == len(accepted)

    asyncio.run(run())
