"""The drain benchmark keeps working: a small backlog accepted by the real API while no worker
runs, then drained by one worker process (PostgreSQL, Redis), next to a small sync."""

from __future__ import annotations

from bench import drain


async def test_drain_bench_drains_a_small_backlog_exactly_once() -> None:
    lines: list[str] = []
    out = await drain.run(True, lines.append, events=150, sync_records=1000)
    assert out["event_drain_pending_left"] == 0
    assert out["event_drain_exactly_once"] is True
    assert out["event_drain_per_s"] > 0 and out["event_drain_sync_rps"] > 0
    assert out["event_drain_ratio"] > 0
    assert lines[-1].startswith("drain / sync:")
