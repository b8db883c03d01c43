"""`create-admin EMAIL` on an account a stranger registered with the owner's email first
(issue 20, item 7): the account becomes the admin's, with the password the operator gives;
the stranger's password and tokens stop working."""

from __future__ import annotations

from tests.integration.http.conftest import Api
from tests.integration.http.helpers import assert_error

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/users/me"
OWNER = "owner@salon.example"
STRANGERS_PASSWORD = "the-strangers-own-pass"
ADMINS_PASSWORD = "the-owners-admin-pass"


async def test_create_admin_on_a_strangers_preregistered_account_ends_the_strangers_access(
    api: Api,
) -> None:
    registered = await api.client.post(
        "/api/v1/auth/register",
        json={"email": OWNER, "password": STRANGERS_PASSWORD, "phone": "+7 916 555-00-01"},
    )
    assert registered.status_code == 201, registered.text
    login = await api.client.post(LOGIN, json={"email": OWNER, "password": STRANGERS_PASSWORD})
    strangers_token = login.json()["access_token"]
    strangers = {"Authorization": f"Bearer {strangers_token}"}
    assert (await api.client.get(ME, headers=strangers)).json()["email_verified"] is False

    user, created = await api.container.ensure_admin(OWNER, ADMINS_PASSWORD)
    assert not created and user.role.value == "admin" and user.email_verified

    # The stranger is out: their token and their password are refused.
    assert_error(await api.client.get(ME, headers=strangers), 401)
    assert_error(await api.client.get("/api/v1/admin/users", headers=strangers), 401)
    stranger_again = await api.client.post(
        LOGIN, json={"email": OWNER, "password": STRANGERS_PASSWORD}
    )
    assert_error(stranger_again, 401)

    # The operator's password signs in, as an admin with a verified email.
    owner = await api.client.post(LOGIN, json={"email": OWNER, "password": ADMINS_PASSWORD})
    assert owner.status_code == 200, owner.text
    headers = {"Authorization": f"Bearer {owner.json()['access_token']}"}
    me = (await api.client.get(ME, headers=headers)).json()
    assert me["email_verified"] is True
    assert (await api.client.get("/api/v1/admin/users", headers=headers)).status_code == 200
