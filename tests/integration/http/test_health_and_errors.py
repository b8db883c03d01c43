"""Probes, and the one error shape for Litestar's own errors and unexpected failures."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from src.application.use_cases.access import CheckReadiness
from src.entrypoints.asgi import create_app
from tests.integration.http.conftest import Api, app_client
from tests.integration.http.helpers import assert_error


async def test_health(api: Api) -> None:
    response = await api.client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


async def test_ready(api: Api) -> None:
    response = await api.client.get("/ready")
    assert (response.status_code, response.json()) == (
        200, {"status": "ok", "checks": {"database": "ok"}},
    )  # fmt: skip


async def test_not_ready_names_the_failed_dependency(api: Api) -> None:
    async def broker_down() -> None:
        raise ConnectionRefusedError("redis://127.0.0.1:1")

    async def broker_ok() -> None:
        return None

    app = create_app(api.container, ready_checks={"broker": broker_down, "cache": broker_ok})
    async with app_client(app) as client:
        response = await client.get("/ready")
    error = assert_error(response, 503, "broker")
    assert "cache" not in error["message"] and "database" not in error["message"]
    assert error["details"] == [
        {"name": "broker", "source": "dependency", "message": "ConnectionRefusedError"}
    ]


async def test_not_ready_without_the_database(api: Api) -> None:
    class Down:
        def __call__(self):  # type: ignore[no-untyped-def]
            raise OSError("connection refused")

    # /ready asks the readiness use case (no unit of work in the HTTP layer).
    access = api.container.access
    api.container.access = replace(access, readiness=CheckReadiness(Down()))  # type: ignore[arg-type]
    assert_error(await api.client.get("/ready"), 503, "database")
    api.container.access = access
    assert (await api.client.get("/ready")).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/no/such/route", 404),
        ("GET", "/api/v1/booking/nothing-here", 404),
        ("DELETE", "/api/v1/booking", 405),
        ("PUT", "/api/v1/yclients/webhook", 405),
    ],
)
async def test_litestar_errors_use_the_error_shape(
    api: Api, method: str, path: str, status: int
) -> None:
    member = await api.member()
    assert_error(await api.client.request(method, path, headers=member.headers), status)


async def test_unexpected_errors_are_500_without_internals(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    member = await api.member()

    async def broken(user_id: int) -> None:
        raise RuntimeError("password=hunter2 at db.internal:5432")

    api.container.profile = broken  # type: ignore[assignment]
    with caplog.at_level(logging.ERROR):
        response = await api.client.get("/api/v1/users/me", headers=member.headers)
    error = assert_error(response, 500)
    assert error == {"code": "internal_error", "message": "Internal server error", "status": 500}
    assert "hunter2" not in response.text and "RuntimeError" not in response.text
    assert "hunter2" in caplog.text  # the log keeps what the answer hides


async def test_schema_is_served(api: Api) -> None:
    response = await api.client.get("/schema/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    expected = {
        ("post", "/api/v1/auth/register"), ("post", "/api/v1/auth/login"),
        ("get", "/api/v1/users/me"), ("post", "/api/v1/users/me/password"),
        ("get", "/api/v1/booking/form"), ("get", "/api/v1/booking"),
        ("get", "/api/v1/loyalty"), ("get", "/api/v1/loyalty/transactions"),
        ("post", "/api/v1/yclients/webhook"), ("post", "/api/v1/yclients/sync-bookings"),
        ("get", "/api/v1/yclients/sync-runs"), ("get", "/api/v1/yclients/sync-runs/{run_id}"),
        ("get", "/api/v1/admin/bookings/unmatched"),
        ("post", "/api/v1/admin/bookings/{booking_id}/link"),
        ("post", "/api/v1/admin/users/{user_id}/points"),
        ("get", "/api/v1/admin/webhook-events"),
        ("post", "/api/v1/admin/webhook-events/{event_id}/replay"),
        ("get", "/health"), ("get", "/ready"),
        ("post", "/api/v1/loyalty/redemptions"), ("get", "/api/v1/loyalty/redemptions"),
        ("delete", "/api/v1/loyalty/redemptions/{redemption_id}"),
        ("post", "/api/v1/admin/users/{user_id}/redemptions"),
        ("get", "/api/v1/admin/redemptions"),
        ("post", "/api/v1/admin/redemptions/{redemption_id}/capture"),
        ("get", "/api/v1/admin/salons"), ("post", "/api/v1/admin/salons"),
        ("patch", "/api/v1/admin/salons/{company_id}"),
        ("post", "/api/v1/admin/salons/{company_id}/rotate-secret"),
        ("get", "/api/v1/admin/users"), ("patch", "/api/v1/admin/users/{user_id}"),
        ("get", "/api/v1/admin/quarantined-records"),
        ("post", "/api/v1/users/me/email/verify"), ("post", "/api/v1/users/me/phone/verify"),
        ("post", "/api/v1/users/me/phone"), ("post", "/api/v1/users/me/email/resend"),
        ("post", "/api/v1/users/me/phone/resend"),
        ("post", "/api/v1/auth/password-reset/request"),
        ("post", "/api/v1/auth/password-reset/confirm"),
    }  # fmt: skip
    found = {(m, p) for p, ops in schema["paths"].items() for m in ops}
    assert found == expected
    for path, ops in schema["paths"].items():
        for method, op in ops.items():
            ok = [s for s in op["responses"] if s.startswith("2")]
            assert ok, (method, path)
            for status in ok:
                content = op["responses"][status]["content"]["application/json"]
                assert "$ref" in content["schema"] or content["schema"].get("type"), (path, status)
            for status in (s for s in op["responses"] if s[0] in "45"):
                ref = op["responses"][status]["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorBody"), (path, status)
    public = {"/health", "/ready", "/api/v1/auth/register", "/api/v1/auth/login",
              "/api/v1/yclients/webhook", "/api/v1/auth/password-reset/request",
              "/api/v1/auth/password-reset/confirm"}  # fmt: skip
    for path, ops in schema["paths"].items():
        for op in ops.values():
            assert (op.get("security") == []) == (path in public), path
    assert schema["components"]["securitySchemes"]["BearerToken"]["scheme"] == "Bearer"


async def test_metrics(api: Api) -> None:
    await api.client.get("/health")
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert "yclients_loyalty_requests_total" in response.text


async def test_options_lists_methods_without_a_token_and_head_needs_one(api: Api) -> None:
    options = await api.client.options("/api/v1/admin/bookings/unmatched")
    assert options.status_code in (200, 204), options.text
    assert "GET" in options.headers["allow"]
    head = await api.client.head("/api/v1/users/me")
    assert head.status_code == 405  # no HEAD routes: nothing is readable without GET
