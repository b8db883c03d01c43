"""Password reset over HTTP: no enumeration by status or body, older tokens die."""

from __future__ import annotations

from tests.fakes.notify import FakeNotifier
from tests.integration.http.conftest import PASSWORD, Api
from tests.integration.http.helpers import assert_error
from tests.integration.http.verification_helpers import (
    container,
    email_code,
    notifier,
    time_passes,
)

__all__ = ["container", "notifier"]

REQUEST = "/api/v1/auth/password-reset/request"
CONFIRM = "/api/v1/auth/password-reset/confirm"
ME = "/api/v1/users/me"
LOGIN = "/api/v1/auth/login"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_reset_request_answers_the_same_for_existing_and_unknown_emails(
    api: Api, notifier: FakeNotifier
) -> None:
    member = await api.member("maria@example.com")
    await time_passes(api.engine)
    sent = len(notifier.emails)
    known = await api.client.post(REQUEST, json={"email": member.user.email})
    unknown = await api.client.post(REQUEST, json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    drop = {"date", "content-length"}
    assert {k: v for k, v in known.headers.items() if k not in drop} == {
        k: v for k, v in unknown.headers.items() if k not in drop
    }
    assert len(notifier.emails) == sent + 1  # only the member's mailbox got a code
    assert notifier.emails[-1][0] == "maria@example.com"
    # Past the send limit the answer is still the same (a 429 would name the account).
    limited = await api.client.post(REQUEST, json={"email": member.user.email})
    assert (limited.status_code, limited.content) == (202, known.content)
    assert len(notifier.emails) == sent + 1


async def test_reset_confirm_answers_the_same_for_unknown_email_and_wrong_code(
    api: Api, notifier: FakeNotifier
) -> None:
    member = await api.member("maria@example.com")
    await time_passes(api.engine)
    await api.client.post(REQUEST, json={"email": member.user.email})
    code = email_code(notifier, "maria@example.com", reset=True)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    new = "brand-new-password"
    unknown = await api.client.post(
        CONFIRM, json={"email": "nobody@example.com", "code": code, "new_password": new}
    )
    bad = await api.client.post(
        CONFIRM, json={"email": member.user.email, "code": wrong, "new_password": new}
    )
    assert_error(unknown, 400, "code")
    assert (unknown.status_code, unknown.json()) == (bad.status_code, bad.json())
    # The member's password is unchanged so far.
    assert (await api.client.get(ME, headers=member.headers)).status_code == 200


async def test_reset_changes_the_password_and_older_tokens_are_rejected(
    api: Api, notifier: FakeNotifier
) -> None:
    member = await api.member("maria@example.com")
    login = await api.client.post(LOGIN, json={"email": member.user.email, "password": PASSWORD})
    other_device = login.json()["access_token"]
    await time_passes(api.engine)
    await api.client.post(REQUEST, json={"email": "MARIA@example.com"})
    code = email_code(notifier, "maria@example.com", reset=True)
    done = await api.client.post(
        CONFIRM,
        json={"email": "maria@example.com", "code": code, "new_password": "brand-new-password"},
    )
    assert done.status_code == 200, done.text
    for old in (member.token, other_device):
        assert_error(await api.client.get(ME, headers=bearer(old)), 401)
    assert (
        await api.client.get(ME, headers=bearer(done.json()["access_token"]))
    ).status_code == 200
    assert_error(
        await api.client.post(LOGIN, json={"email": member.user.email, "password": PASSWORD}), 401
    )
    fresh = await api.client.post(
        LOGIN, json={"email": member.user.email, "password": "brand-new-password"}
    )
    assert fresh.status_code == 200
    reused = await api.client.post(
        CONFIRM,
        json={"email": "maria@example.com", "code": code, "new_password": "another-password"},
    )
    assert_error(reused, 400, "code")
