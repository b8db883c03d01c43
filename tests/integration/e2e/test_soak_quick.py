"""The soak run's quick variant (bench/soak.py): a salon chain's simulated day against the
API, two workers and the scheduler, with YClients' 5-a-second limit enforced by the
simulator, 5% of webhooks lost and 2% of requests answered 5xx. At the end every booking and
every member's balance agrees with the simulator, and the simulator answered no 429.

Sized for the 2-core machine the suite runs on: SALONS salons for one simulated hour at
×60 (a 30-second sync interval), well within three minutes; `just soak --quick` runs 100."""

from __future__ import annotations

import pytest

from bench.soak import QUICK, run

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("redis_available")]

SALONS = 40


@pytest.mark.timeout(600)
async def test_a_quick_soak_ends_with_no_difference_and_no_429() -> None:
    params = QUICK.__class__(**{**QUICK.__dict__, "salons": SALONS, "members": 40})
    lines: list[str] = []
    result = await run(params, log=lines.append)
    report = "\n".join(lines) + f"\n{result}"
    assert result["soak_settled"], report
    assert result["soak_plan_vs_simulator"] == 0, report
    assert result["soak_divergent_bookings"] == 0, report
    assert result["soak_divergent_balances"] == 0, report
    assert result["soak_simulator_429"] == 0, report
    assert result["soak_max_requests_in_any_second"] <= 5, report
    assert result["soak_unseen_changes"] == 0, report
