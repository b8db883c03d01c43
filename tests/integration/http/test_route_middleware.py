"""Authentication is the routers' business, not an app-wide list of exceptions: the API's
routers behind the Bearer token answer 401 without one, its public routers never ask for
one, and the /admin router's CSRF check covers every unsafe console request."""

from __future__ import annotations

import re

import pytest
from litestar.routes import HTTPRoute

from src.entrypoints.asgi import create_app
from tests.integration.http.conftest import WEBHOOK_SECRET, Api
from tests.integration.http.helpers import assert_error
from tests.integration.http.test_console import CONSOLE_ROUTES, sign_in

# Routes anyone may call: health probes, sign-in, password reset, the webhook (its secret).
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/password-reset/request"),
    ("POST", "/api/v1/auth/password-reset/confirm"),
    ("POST", "/api/v1/yclients/webhook"),
}


def _concrete(path: str) -> str:
    """`/api/v1/admin/users/{user_id:int}` → `/api/v1/admin/users/1`."""
    return re.sub(r"\{[^}]+\}", "1", path)


def _api_routes(api: Api) -> set[tuple[str, str]]:
    app = create_app(api.container, metrics=False)
    return {
        (method, route.path)
        for route in app.routes
        if isinstance(route, HTTPRoute) and not route.path.startswith(("/admin", "/schema"))
        for method in route.methods - {"HEAD", "OPTIONS"}
    }


async def test_every_api_route_but_the_public_ones_needs_a_bearer_token(api: Api) -> None:
    routes = _api_routes(api)
    assert routes >= PUBLIC
    private = sorted(routes - PUBLIC)
    assert len(private) > 20, private
    for method, path in private:
        response = await api.client.request(method, _concrete(path), json={})
        assert_error(response, 401)
        assert response.headers["www-authenticate"] == "Bearer", (method, path)


async def test_the_public_routes_never_ask_for_a_token(api: Api) -> None:
    for method, path in sorted(PUBLIC):
        params = {"secret": WEBHOOK_SECRET} if path.endswith("/webhook") else {}
        response = await api.client.request(method, path, json={}, params=params)
        assert response.status_code != 401, (method, path, response.text)
        assert "www-authenticate" not in response.headers, (method, path)


@pytest.mark.parametrize(
    ("path", "form"), [(path, form) for method, path, form in CONSOLE_ROUTES if method == "POST"]
)
async def test_every_console_form_needs_its_csrf_token(
    api: Api, path: str, form: dict[str, str]
) -> None:
    admin = await api.admin()
    assert (await sign_in(api.client, admin.user.email)).status_code in (302, 303)
    response = await api.client.post(path, data=form)
    assert response.status_code == 403, response.text
    assert "text/html" in response.headers["content-type"]  # the console's page, not JSON
    assert await api.count("loyalty_transactions") == 0
    assert (await api.client.get("/admin")).status_code == 200  # still signed in


async def test_the_console_static_files_are_served(api: Api) -> None:
    response = await api.client.get("/admin/static/console.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["content-type"]
