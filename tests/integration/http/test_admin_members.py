"""Admin member search (`GET /api/v1/admin/users?q=`) and roles (`PATCH .../users/{id}`)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from src.domain.user import Role
from tests.integration.http.conftest import Api, Member
from tests.integration.http.helpers import assert_error


async def _scene(api: Api) -> tuple[Member, Member, Member]:
    admin = await api.admin()
    maria = await api.member("Maria.Ivanova@Example.com", phone="+7 (916) 555-12-34", name="Мария")
    other = await api.member("oleg@example.com", phone="8 903 111 22 33", name="Oleg")
    await api.container.issue_booking_form(maria.id)  # gives her a unique code
    await api.container.adjust_points(maria.id, Decimal("42.50"), "welcome", admin.id)
    return admin, maria, other


async def _search(api: Api, admin: Member, q: str, **params: int) -> dict:  # type: ignore[type-arg]
    response = await api.client.get(
        "/api/v1/admin/users", params={"q": q, **params}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "query",
    [
        "maria.ivanova@example.com",  # email, any case
        "MARIA.IVANOVA",  # part of it
        "+7 916 555-12-34",  # phone in another format than stored
        "89165551234",  # same phone, trunk prefix
        "(916) 555 12 34",
        "мария",  # name, any case
    ],
)
async def test_admin_finds_a_member_by_each_key(api: Api, query: str) -> None:
    admin, maria, _ = await _scene(api)
    page = await _search(api, admin, query)
    assert [m["id"] for m in page["items"]] == [maria.id]
    assert page["total"] == 1
    [item] = page["items"]
    assert item == {
        "id": maria.id,
        "email": "maria.ivanova@example.com",
        "phone": "+7 (916) 555-12-34",
        "name": "Мария",
        "code": item["code"],
        "role": "user",
        "balance": "42.50",
    }


async def test_admin_finds_a_member_by_unique_code(api: Api) -> None:
    admin, maria, _ = await _scene(api)
    profile = await api.container.profile(maria.id)
    code = profile.user.unique_code
    assert code
    page = await _search(api, admin, code.lower())
    assert [m["id"] for m in page["items"]] == [maria.id]
    assert page["items"][0]["code"] == code


async def test_member_search_is_paginated_newest_first(api: Api) -> None:
    admin, maria, other = await _scene(api)
    everyone = await _search(api, admin, "", limit=2)
    assert (everyone["total"], everyone["limit"], everyone["offset"]) == (3, 2, 0)
    assert [m["id"] for m in everyone["items"]] == [other.id, maria.id]
    rest = await _search(api, admin, "", limit=2, offset=2)
    assert [m["id"] for m in rest["items"]] == [admin.id]
    assert rest["items"][0]["balance"] == "0.00"
    nobody = await _search(api, admin, "nobody-like-this")
    assert (nobody["items"], nobody["total"]) == ([], 0)


async def test_member_search_refuses_a_long_query(api: Api) -> None:
    admin = await api.admin()
    response = await api.client.get(
        "/api/v1/admin/users", params={"q": "x" * 101}, headers=admin.headers
    )
    assert_error(response, 400, "q")


async def test_a_member_cannot_search_or_change_roles(api: Api) -> None:
    _, maria, _other = await _scene(api)
    assert_error(
        await api.client.get("/api/v1/admin/users?q=oleg", headers=maria.headers), 403, "admin"
    )
    response = await api.client.patch(
        f"/api/v1/admin/users/{maria.id}", json={"role": "admin"}, headers=maria.headers
    )
    assert_error(response, 403, "admin")
    assert (await api.container.profile(maria.id)).user.role is Role.USER


async def test_admin_promotes_and_demotes_but_never_the_last_admin(api: Api) -> None:
    admin, maria, _ = await _scene(api)
    url = f"/api/v1/admin/users/{admin.id}"
    refused = await api.client.patch(url, json={"role": "user"}, headers=admin.headers)
    assert_error(refused, 409, "last admin")
    assert (await api.container.profile(admin.id)).user.role is Role.ADMIN

    promoted = await api.client.patch(
        f"/api/v1/admin/users/{maria.id}", json={"role": "admin"}, headers=admin.headers
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "admin"
    demoted = await api.client.patch(url, json={"role": "user"}, headers=maria.headers)
    assert demoted.status_code == 200, demoted.text
    assert demoted.json()["role"] == "user"
    # The demoted admin's token no longer opens admin routes (the role is read per request).
    assert_error(await api.client.get("/api/v1/admin/users", headers=admin.headers), 403)
    last = await api.client.patch(
        f"/api/v1/admin/users/{maria.id}", json={"role": "user"}, headers=maria.headers
    )
    assert_error(last, 409, "last admin")


async def test_role_change_validates_its_input(api: Api) -> None:
    admin = await api.admin()
    bad = await api.client.patch(
        f"/api/v1/admin/users/{admin.id}", json={"role": "root"}, headers=admin.headers
    )
    assert_error(bad, 422, "role")
    missing = await api.client.patch(
        "/api/v1/admin/users/999999", json={"role": "admin"}, headers=admin.headers
    )
    assert_error(missing, 404)
