"""POST /api/v1/users/me/password: proves the current password; older tokens stop working."""

from __future__ import annotations

from tests.integration.http.conftest import PASSWORD, Api
from tests.integration.http.helpers import assert_error

CHANGE = "/api/v1/users/me/password"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/users/me"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_tokens_issued_before_a_password_change_are_rejected(api: Api) -> None:
    member = await api.member()
    login = await api.client.post(LOGIN, json={"email": member.user.email, "password": PASSWORD})
    other_device = login.json()["access_token"]
    assert (await api.client.get(ME, headers=bearer(other_device))).status_code == 200

    response = await api.client.post(
        CHANGE,
        json={"current_password": PASSWORD, "new_password": "brand-new-pass"},
        headers=bearer(member.token),
    )
    assert response.status_code == 200, response.text
    fresh = response.json()["access_token"]

    for old in (member.token, other_device):  # a stolen token dies with the old password
        assert_error(await api.client.get(ME, headers=bearer(old)), 401)
    assert (await api.client.get(ME, headers=bearer(fresh))).status_code == 200
    old_login = await api.client.post(
        LOGIN, json={"email": member.user.email, "password": PASSWORD}
    )
    assert_error(old_login, 401)
    new_login = await api.client.post(
        LOGIN, json={"email": member.user.email, "password": "brand-new-pass"}
    )
    assert new_login.status_code == 200


async def test_password_change_needs_the_current_password(api: Api) -> None:
    member = await api.member()
    response = await api.client.post(
        CHANGE,
        json={"current_password": "not-the-password", "new_password": "brand-new-pass"},
        headers=bearer(member.token),
    )
    assert_error(response, 422, "current_password")
    assert (await api.client.get(ME, headers=bearer(member.token))).status_code == 200
    short = await api.client.post(
        CHANGE,
        json={"current_password": PASSWORD, "new_password": "short"},
        headers=bearer(member.token),
    )
    assert_error(short, 422, "new_password")
    anonymous = await api.client.post(
        CHANGE, json={"current_password": PASSWORD, "new_password": "brand-new-pass"}
    )
    assert_error(anonymous, 401)
