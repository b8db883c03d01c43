"""Manual sync and sync runs: POST /api/v1/yclients/sync-bookings, GET /sync-runs[/{id}]."""

from __future__ import annotations

import pytest
from dirty_equals import IsInt, IsStr

from src.application.errors import GatewayError
from src.domain.booking import BookingStatus
from src.entrypoints.asgi import create_app
from src.entrypoints.runtime import Runtime
from tests.integration.http.conftest import Api, Member, app_client, with_task_runtime
from tests.integration.http.helpers import assert_error

SYNC = "/api/v1/yclients/sync-bookings"
RUNS = "/api/v1/yclients/sync-runs"
RUN_KEYS = {
    "run_id", "company_id", "trigger", "status", "fetched", "created", "updated", "unchanged",
    "linked", "unmatched", "points_awarded", "errors", "error", "started_at", "finished_at",
    "kind", "requests",
}  # fmt: skip


async def seed_yclients(api: Api, member: Member) -> None:
    """Three records in the fake YClients: one completed for the member, two unmatched."""
    api.gateway.put(
        api.record(email=member.user.email, status=BookingStatus.COMPLETED, price="2000.00"),
        api.record(),
        api.record(),
    )


@pytest.mark.parametrize(("method", "path"), [("POST", SYNC), ("GET", RUNS), ("GET", f"{RUNS}/1")])
async def test_need_a_token_and_the_admin_role(api: Api, method: str, path: str) -> None:
    assert_error(await api.client.request(method, path), 401)
    member = await api.member()
    assert_error(await api.client.request(method, path, headers=member.headers), 403, "admin")
    assert await api.count("sync_runs") == 0


async def test_manual_sync_answers_202_with_the_queued_run(api: Api) -> None:
    admin = await api.admin()
    response = await api.client.post(SYNC, headers=admin.headers)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body == {
        "run_id": IsInt(gt=0),
        "status": "QUEUED",
        "runs": [{"run_id": body["run_id"], "company_id": 873456, "status": "QUEUED"}],
    }
    run = (await api.client.get(f"{RUNS}/{body['run_id']}", headers=admin.headers)).json()
    assert (run["run_id"], run["trigger"]) == (body["run_id"], "manual")
    # the queue runs it at once in these tests; it was QUEUED when the route answered
    assert run["status"] in ("QUEUED", "RUNNING", "SUCCEEDED")


async def test_the_queued_run_is_carried_out_by_the_task_runtime(api: Api) -> None:
    admin, member = await api.admin(), await api.member()
    await seed_yclients(api, member)
    container = with_task_runtime(api)
    runtime = Runtime(container)

    async def start() -> None:
        await runtime.start(run_schedule=False)

    app = create_app(container, on_startup=[start], on_shutdown=[runtime.stop])
    async with app_client(app, lifespan=True) as client:
        run_id = (await client.post(SYNC, headers=admin.headers)).json()["run_id"]
        await runtime.wait_idle()
        run = (await client.get(f"{RUNS}/{run_id}", headers=admin.headers)).json()
    assert (run["status"], run["fetched"], run["created"], run["linked"]) == (
        "SUCCEEDED", 3, 3, 1,
    )  # fmt: skip
    assert await api.count("sync_runs") == 1


async def test_wait_true_answers_200_with_the_finished_run(api: Api) -> None:
    admin, member = await api.admin(), await api.member()
    await seed_yclients(api, member)
    response = await api.client.post(SYNC, params={"wait": "true"}, headers=admin.headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == RUN_KEYS | {"runs"}
    assert {k: body[k] for k in ("status", "fetched", "created", "updated", "unchanged",
                                 "linked", "unmatched", "points_awarded", "errors")} == {
        "status": "SUCCEEDED", "fetched": 3, "created": 3, "updated": 0, "unchanged": 0,
        "linked": 1, "unmatched": 2, "points_awarded": "60.00", "errors": 0,
    }  # fmt: skip
    assert [r["run_id"] for r in body["runs"]] == [body["run_id"]]
    items = (await api.client.get("/api/v1/booking", headers=member.headers)).json()["items"]
    assert [(b["status"], b["bonus_points"]) for b in items] == [("COMPLETED", "60.00")]
    again = (await api.client.post(SYNC, params={"wait": "true"}, headers=admin.headers)).json()
    assert (again["created"], again["unchanged"], again["points_awarded"]) == (0, 3, "0.00")


async def test_a_failing_yclients_is_a_failed_run(api: Api) -> None:
    admin = await api.admin()
    api.gateway.put(api.record())
    api.gateway.fail_with = GatewayError("YClients answered 503 three times")
    response = await api.client.post(SYNC, params={"wait": "true"}, headers=admin.headers)
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["error"]) == (
        "FAILED", "YClients answered 503 three times",
    )  # fmt: skip


@pytest.mark.parametrize("wait", ["false", "true"])
async def test_disabled_integration_is_409_saying_so(api: Api, wait: str) -> None:
    admin = await api.admin()
    api.container.switches.yclients_enabled = False
    response = await api.client.post(SYNC, params={"wait": wait}, headers=admin.headers)
    error = assert_error(response, 409, "YCLIENTS_ENABLED=false")
    assert error["code"] == "yclients_disabled"
    assert await api.count("sync_runs") == 0


@pytest.mark.parametrize(
    ("params", "status", "name"),
    [
        ({"company_id": "999"}, 422, "company_id"),
        ({"company_id": "999", "wait": "true"}, 422, "company_id"),
        ({"company_id": "abc"}, 400, "company_id"),
        ({"company_id": "0"}, 400, "company_id"),
        ({"wait": "later"}, 400, "wait"),
    ],
)
async def test_bad_parameters(api: Api, params: dict[str, str], status: int, name: str) -> None:
    admin = await api.admin()
    assert_error(await api.client.post(SYNC, params=params, headers=admin.headers), status, name)
    assert await api.count("sync_runs") == 0


async def test_one_company_by_id(api: Api) -> None:
    admin = await api.admin()
    response = await api.client.post(
        SYNC, params={"company_id": 873456, "wait": "true"}, headers=admin.headers
    )
    assert (response.status_code, response.json()["company_id"]) == (200, 873456)


async def test_sync_runs_list_newest_first_and_one_run(api: Api) -> None:
    admin = await api.admin()
    ids = [
        (await api.client.post(SYNC, params={"wait": "true"}, headers=admin.headers)).json()[
            "run_id"
        ]
        for _ in range(3)
    ]
    body = (await api.client.get(RUNS, params={"limit": 2}, headers=admin.headers)).json()
    assert [r["run_id"] for r in body["items"]] == ids[::-1][:2]
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 0)
    assert set(body["items"][0]) == RUN_KEYS
    other = (await api.client.get(RUNS, params={"company_id": 1}, headers=admin.headers)).json()
    assert other["total"] == 0
    one = (await api.client.get(f"{RUNS}/{ids[0]}", headers=admin.headers)).json()
    assert one == {**one, "run_id": ids[0], "status": "SUCCEEDED", "started_at": IsStr()}


@pytest.mark.parametrize(("run_id", "status"), [("424242", 404), ("0", 400)])
async def test_missing_or_invalid_run(api: Api, run_id: str, status: int) -> None:
    admin = await api.admin()
    assert_error(await api.client.get(f"{RUNS}/{run_id}", headers=admin.headers), status)
