"""The benchmarks run where `wrk` is not installed: the webhook suite with the built-in Python
load generator, for a few seconds, against the real API process (PostgreSQL, Redis)."""

from __future__ import annotations

import pytest

from bench import loadgen, webhook


async def test_webhook_bench_with_the_python_load_generator() -> None:
    lines: list[str] = []
    out = await webhook.run(True, lines.append, seconds=1.5, warmup=0.5, tool="python")
    assert out["webhook_load_tool"] == "python"
    assert out["webhook_accept_requests"] > 0 and out["webhook_bare_requests"] > 0
    assert out["webhook_accept_non_2xx"] == 0 and out["webhook_accept_errors"] == 0
    assert out["webhook_all_acknowledged_stored"] is True
    assert out["webhook_accept_ratio"] > 0
    assert "[python]" in lines[-1]


def test_the_load_tool_is_chosen_by_bench_load_tool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BENCH_LOAD_TOOL", "python")
    assert loadgen.choose_tool() == "python"
    monkeypatch.setenv("BENCH_LOAD_TOOL", "ab")
    with pytest.raises(ValueError, match="BENCH_LOAD_TOOL"):
        loadgen.choose_tool()
    monkeypatch.setenv("BENCH_LOAD_TOOL", "wrk")
    monkeypatch.setattr(loadgen, "wrk_path", lambda: None)
    with pytest.raises(RuntimeError, match="not installed"):
        loadgen.choose_tool()
    monkeypatch.delenv("BENCH_LOAD_TOOL")
    assert loadgen.choose_tool() == "python"  # no wrk here: the fallback
    monkeypatch.setattr(loadgen, "wrk_path", lambda: "/usr/bin/wrk")
    assert loadgen.choose_tool() == "wrk"
