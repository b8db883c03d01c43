"""CORS: web apps on the origins in CORS_ALLOW_ORIGINS may call the API; nobody else gets
CORS headers, and without the setting nobody does."""

from __future__ import annotations

import pytest

from src.entrypoints.asgi import create_app
from src.entrypoints.bootstrap import Container
from src.entrypoints.settings import SettingsError, load_settings
from tests.integration.http.conftest import app_client, make_settings

APP = "https://app.example.com"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def _with_cors(container: Container, origins: tuple[str, ...]):  # type: ignore[no-untyped-def]
    settings = make_settings(container.settings.DATABASE_URL, CORS_ALLOW_ORIGINS=origins)
    return create_app(container, settings=settings)


async def test_preflight_from_an_allowed_origin(container: Container) -> None:
    async with app_client(_with_cors(container, (APP,))) as client:
        response = await client.options("/api/v1/auth/login", headers={"Origin": APP, **PREFLIGHT})
        assert response.status_code in (200, 204)
        headers = response.headers
        assert headers["access-control-allow-origin"] == APP
        assert "POST" in headers["access-control-allow-methods"]
        allowed = headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed
        assert "access-control-allow-credentials" not in headers
        # The actual request carries the header too.
        health = await client.get("/health", headers={"Origin": APP})
        assert health.headers["access-control-allow-origin"] == APP


async def test_preflight_from_a_disallowed_origin(container: Container) -> None:
    async with app_client(_with_cors(container, (APP,))) as client:
        evil = "https://evil.example.com"
        response = await client.options("/api/v1/auth/login", headers={"Origin": evil, **PREFLIGHT})
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers
        health = await client.get("/health", headers={"Origin": evil})
        assert "access-control-allow-origin" not in health.headers


async def test_no_origins_configured_means_no_cors_headers(container: Container) -> None:
    async with app_client(create_app(container)) as client:
        response = await client.options("/api/v1/auth/login", headers={"Origin": APP, **PREFLIGHT})
        assert not any(h.startswith("access-control-") for h in response.headers)
        health = await client.get("/health", headers={"Origin": APP})
        assert not any(h.startswith("access-control-") for h in health.headers)


def test_cors_origins_setting_is_comma_separated_and_checked() -> None:
    env = {"CORS_ALLOW_ORIGINS": "https://a.example, https://b.example/ ,"}
    assert load_settings(env).CORS_ALLOW_ORIGINS == ("https://a.example", "https://b.example")
    assert load_settings({"CORS_ALLOW_ORIGINS": ""}).CORS_ALLOW_ORIGINS == ()
    with pytest.raises(SettingsError, match="CORS_ALLOW_ORIGINS"):
        load_settings({"CORS_ALLOW_ORIGINS": "app.example.com"})
