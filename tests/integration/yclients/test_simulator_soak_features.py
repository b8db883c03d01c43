"""What the soak run needs from the simulator: YClients' per-second limit enforced and
counted, `changed_after` / `changed_before` with deleted records on request, a share of
webhooks dropped, a list of served companies. All off by default."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest

from src.entrypoints.simulator.__main__ import state_from_env
from src.entrypoints.simulator.limits import LimitConfig, TrafficCounter
from src.entrypoints.simulator.records import MOSCOW
from tests.integration.yclients.conftest import COMPANY_ID, Simulator

AUTH = {"Authorization": "Bearer sim-partner-token, User sim-user-token"}


@pytest.fixture
async def api(sim: Simulator) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=sim.root, headers=AUTH) as client:
        yield client


def _records(company_id: int = COMPANY_ID) -> str:
    return f"/api/v1/records/{company_id}"


async def test_limit_is_off_by_default_and_bursts_are_counted(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    answers = [(await api.get(_records())).status_code for _ in range(12)]
    assert answers == [200] * 12
    traffic = (await api.get("/_control/traffic")).json()
    assert traffic["requests"] == 12
    assert traffic["limited_429"] == 0
    assert traffic["max_requests_in_any_second"] >= 6  # twelve in well under a second


async def test_a_sixth_request_within_one_second_is_429_with_retry_after(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    r = await api.put("/_control/limits", json={"per_second": 5, "retry_after": 1})
    assert r.status_code == 200, r.text
    burst = [await api.get(_records()) for _ in range(8)]
    assert [a.status_code for a in burst[:5]] == [200] * 5
    assert {a.status_code for a in burst[5:]} == {429}
    assert burst[5].headers["Retry-After"] == "1"
    await asyncio.sleep(1.05)  # the window has passed: served again
    assert (await api.get(_records())).status_code == 200
    traffic = (await api.get("/_control/traffic")).json()
    assert traffic["requests"] == 9
    assert traffic["limited_429"] == 3
    assert traffic["max_requests_in_any_second"] == 8
    assert sum(traffic["per_second_histogram"].values()) >= 2  # seconds seen


def test_the_window_slides_rather_than_resetting_on_the_second() -> None:
    now = [100.0]
    counter = TrafficCounter(LimitConfig(per_second=5), clock=lambda: now[0])
    # Five at x.6-x.9 and five at (x+1).0-(x+1).3: each calendar second has five, but any
    # one-second window from x.6 holds more, so the second five are refused.
    refused = []
    for t in (100.6, 100.7, 100.8, 100.85, 100.9, 101.0, 101.1, 101.2, 101.3, 101.55):
        now[0] = t
        refused.append(counter.arrive())
    assert refused == [False] * 5 + [True] * 4 + [True]
    now[0] = 102.6  # the whole window has gone by
    assert counter.arrive() is False
    assert counter.limited == 5
    assert counter.max_in_any_second == 10
    assert counter.histogram() == {1: 1, 5: 2}  # seconds 100 and 101: five each


async def test_changed_after_and_before_with_deleted_only_on_request(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    old, new, gone = (
        sim.state.create_record(_new(i)) for i in (800_000_001, 800_000_002, 800_000_003)
    )
    # Push the first record's last change an hour back, the others stay "now".
    sim.state.store.put(dict(old, last_change_date=_compact(datetime.now(MOSCOW) - _HOUR)))
    sim.state.delete_record(COMPANY_ID, gone["id"], webhook=False)
    cut = (datetime.now(MOSCOW) - _HOUR / 2).strftime("%Y-%m-%dT%H:%M:%S")

    async def ids(**params: str) -> list[int]:
        r = await api.get(_records(), params={"count": "200", **params})
        assert r.status_code == 200, r.text
        return sorted(rec["id"] for rec in r.json()["data"])

    assert await ids(changed_after=cut) == [new["id"]]
    assert await ids(changed_after=cut, with_deleted="1") == [new["id"], gone["id"]]
    assert await ids(changed_before=cut, with_deleted="1") == [old["id"]]
    assert await ids(changed_before=cut, changed_after="2000-01-01T00:00:00") == [old["id"]]
    bad = await api.get(_records(), params={"changed_before": "yesterday"})
    assert bad.status_code == 422
    assert "changed_before" in bad.json()["meta"]["message"]


async def test_dropped_webhooks_are_counted_and_not_sent(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    sim.state.webhooks.configure("http://127.0.0.1:9/unreachable", duplicate=False,
                                 delete_data="full")  # fmt: skip
    r = await api.put("/_control/limits", json={"webhook_loss": 0.5, "webhook_loss_seed": 7})
    assert r.status_code == 200, r.text
    for i in range(40):
        sim.state.create_record(_new(810_000_000 + i))
    await sim.state.webhooks.drain()
    traffic = (await api.get("/_control/traffic")).json()
    assert 5 < traffic["webhook_events_dropped"] < 35
    assert traffic["webhook_events_dropped"] + traffic["webhook_events_sent"] == 40
    assert len(sim.state.webhooks.deliveries) == traffic["webhook_events_sent"]
    bad = await api.put("/_control/limits", json={"webhook_loss": 1.5})
    assert bad.status_code == 422


async def test_only_the_served_companies_answer_when_a_list_is_set(
    sim: Simulator, api: httpx.AsyncClient
) -> None:
    sim.state.companies = frozenset({COMPANY_ID, COMPANY_ID + 1})
    assert (await api.get(_records(COMPANY_ID + 1))).status_code == 200
    refused = await api.get(_records(COMPANY_ID + 2))
    assert refused.status_code == 403
    assert refused.json()["meta"]["message"] == "No company management rights"


def test_environment_builds_n_companies_limits_and_losses() -> None:
    state = state_from_env({
        "SIMULATOR_COMPANIES": "3", "SIMULATOR_COMPANY_ID": "500", "SIMULATOR_RECORDS": "4",
        "SIMULATOR_RATE_LIMIT": "5", "SIMULATOR_ERROR_RATE": "0.02",
        "SIMULATOR_WEBHOOK_LOSS": "0.05",
    })  # fmt: skip
    assert state.companies == frozenset({500, 501, 502})
    assert sorted({r["company_id"] for r in state.store.records()}) == [500, 501, 502]
    assert len(state.store) == 12
    assert state.traffic.config.per_second == 5
    assert state.faults.rate == 0.02 and set(state.faults.kinds) == {"500", "502", "503"}
    assert state.webhooks.loss_rate == 0.05
    default = state_from_env({})
    assert default.companies is None and default.traffic.config.per_second == 0
    assert default.faults.rate == 0 and default.webhooks.loss_rate == 0


_HOUR = timedelta(hours=1)


def _compact(moment: datetime) -> str:
    text = moment.replace(microsecond=0).isoformat()
    return text[:-3] + text[-2:]


def _new(record_id: int):  # type: ignore[no-untyped-def]
    from src.entrypoints.simulator import NewRecord

    return NewRecord(company_id=COMPANY_ID, id=record_id, comment="", webhook=True)
