"""Register, login, tokens, the login rate limit and the secrets check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from dirty_equals import IsInt, IsStr
from litestar.exceptions import TooManyRequestsException

from src.adapters.attempts import MemoryAttemptCounters, MemoryLoginStreaks
from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.domain.user import Role
from src.entrypoints.asgi import create_app
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings, SettingsError
from src.entrypoints.web.credentials import password_stamp
from src.entrypoints.web.throttle import LoginThrottle
from tests.fakes.auth import FakeHasher
from tests.fakes.yclients import FakeGateway
from tests.integration.http.conftest import (
    JWT_SECRET,
    PASSWORD,
    Api,
    app_client,
    make_settings,
)
from tests.integration.http.helpers import assert_error

REGISTER = "/api/v1/auth/register"
LOGIN = "/api/v1/auth/login"
ME = "/api/v1/users/me"


async def test_register_returns_201_with_the_user(api: Api) -> None:
    body = {"email": " Maria@Example.com ", "password": PASSWORD, "phone": "+7 916 123-45-67",
            "name": "Maria"}  # fmt: skip
    response = await api.client.post(REGISTER, json=body)
    assert response.status_code == 201, response.text
    assert response.json() == {
        "id": IsInt(gt=0),
        "email": "maria@example.com",
        "phone": "+7 916 123-45-67",
        "name": "Maria",
        "unique_code": None,
        "role": "user",
        "created_at": IsStr(regex=r".+(Z|\+00:00)$"),
    }


async def test_register_duplicate_email_is_409_whatever_the_case(api: Api) -> None:
    await api.client.post(REGISTER, json={"email": "dup@example.com", "password": PASSWORD})
    response = await api.client.post(
        REGISTER, json={"email": "DUP@example.com", "password": PASSWORD}
    )
    assert_error(response, 409, "dup@example.com")
    assert await api.count("users") == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.com"}, "password"),
        ({"email": 42, "password": PASSWORD}, "email"),
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "short"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "phone": "12"}, "phone"),
        ({"email": "a@example.com", "password": PASSWORD, "phone": "1" * 33}, "phone"),
        ({"email": "a@example.com", "password": PASSWORD, "name": "Ma\u0000ria"}, "name"),
        ({"email": "a\u0000b@example.com", "password": PASSWORD}, "email"),
        ({"email": "a@example.com", "password": "x" * 129}, "password"),
    ],
)
async def test_register_validation_is_422_naming_the_field(
    api: Api, body: dict, field: str
) -> None:  # type: ignore[type-arg]
    assert_error(await api.client.post(REGISTER, json=body), 422, field)
    assert await api.count("users") == 0


async def test_malformed_json_is_400(api: Api) -> None:
    response = await api.client.post(
        REGISTER, content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400)


async def test_login_returns_a_bearer_token_for_me(api: Api) -> None:
    member = await api.member("login@example.com")
    response = await api.client.post(
        LOGIN, json={"email": "LOGIN@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {"access_token": IsStr(), "token_type": "bearer", "expires_in": 24 * 60 * 60}
    claims = jwt.decode(body["access_token"], JWT_SECRET, algorithms=["HS256"])
    assert claims["sub"] == str(member.id)
    assert claims["extras"] == {"role": "user", "pwd": IsStr(min_length=16, max_length=16)}
    me = await api.client.get(ME, headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["email"] == "login@example.com"


@pytest.mark.parametrize(
    "body",
    [
        {"email": "login@example.com", "password": "wrong password"},
        {"email": "nobody@example.com", "password": PASSWORD},
    ],
)
async def test_wrong_credentials_are_401(api: Api, body: dict) -> None:  # type: ignore[type-arg]
    await api.member("login@example.com")
    error = assert_error(await api.client.post(LOGIN, json=body), 401)
    assert error["code"] == "invalid_credentials"


async def test_login_missing_field_is_422(api: Api) -> None:
    assert_error(await api.client.post(LOGIN, json={"email": "a@example.com"}), 422, "password")
    nul = {"email": "a\u0000@example.com", "password": PASSWORD}
    assert_error(await api.client.post(LOGIN, json=nul), 422, "email")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer not-a-jwt",
        "Basic dXNlcjpwYXNz",
        "Bearer "
        + jwt.encode({"sub": "1", "exp": 4102444800, "iat": 946684800}, "another-secret", "HS256"),
        "Bearer "
        + jwt.encode(
            {"sub": "1", "exp": 946684800, "iat": 946680000}, JWT_SECRET, "HS256"
        ),  # expired
        "Bearer "
        + jwt.encode({"sub": "999999", "exp": 4102444800, "iat": 946684800}, JWT_SECRET, "HS256"),
        "Bearer "
        + jwt.encode({"sub": "abc", "exp": 4102444800, "iat": 946684800}, JWT_SECRET, "HS256"),
        "Bearer "
        + jwt.encode({"sub": str(2**70), "exp": 4102444800, "iat": 946684800}, JWT_SECRET, "HS256"),
    ],
)
async def test_bad_or_missing_token_is_401(api: Api, header: str | None) -> None:
    await api.member()
    headers = {"Authorization": header} if header else {}
    response = await api.client.get(ME, headers=headers)
    assert_error(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_role_comes_from_the_database_not_the_token(api: Api) -> None:
    member = await api.member()
    forged = jwt.encode(
        {
            "sub": str(member.id),
            "exp": 4102444800,
            "iat": 946684800,
            "extras": {"role": "admin", "pwd": password_stamp(member.user)},
        },
        JWT_SECRET,
        "HS256",
    )
    response = await api.client.get(
        "/api/v1/admin/webhook-events", headers={"Authorization": f"Bearer {forged}"}
    )
    assert_error(response, 403, "admin")


async def test_login_is_rate_limited_per_client_and_account(
    settings: Settings, pg_uow_factory: SqlUnitOfWorkFactory
) -> None:
    container = build_container(
        settings, uow_factory=pg_uow_factory, gateway=FakeGateway(), hasher=FakeHasher()
    )
    app = create_app(container, login_rate_limit=("minute", 3))
    async with app_client(app) as client:
        body = {"email": "x@example.com", "password": "whatever1"}
        statuses = [(await client.post(LOGIN, json=body)).status_code for _ in range(4)]
        assert statuses == [401, 401, 401, 429]
        response = await client.post(LOGIN, json={**body, "email": " X@Example.com"})
        error = assert_error(response, 429)
        assert error["code"] == "too_many_requests"
        assert 1 <= int(response.headers["retry-after"]) <= 60
        # Another account from the same address is still allowed, up to ten times the limit.
        others = [
            (await client.post(LOGIN, json={**body, "email": f"o{i}@example.com"})).status_code
            for i in range(27)
        ]
        assert others == [401] * 27
        blocked = await client.post(LOGIN, json={**body, "email": "last@example.com"})
        assert_error(blocked, 429)
        # Other routes are not limited.
        register = {"email": "r@example.com", "password": PASSWORD}
        assert (await client.post(REGISTER, json=register)).status_code == 201


async def test_throttle_window_slides() -> None:
    now = [0.0]
    counters = MemoryAttemptCounters(clock=lambda: now[0])
    throttle = LoginThrottle(2, 60)
    await throttle.hit(counters, "10.0.0.1", "a@example.com")
    await throttle.hit(counters, "10.0.0.1", "a@example.com")
    with pytest.raises(TooManyRequestsException):
        await throttle.hit(counters, "10.0.0.1", "a@example.com")
    await throttle.hit(counters, "10.0.0.2", "a@example.com")  # another address
    now[0] = 120.5
    await throttle.hit(counters, "10.0.0.1", "a@example.com")  # the window moved on


async def test_registration_is_rate_limited_per_address(
    settings: Settings, pg_uow_factory: SqlUnitOfWorkFactory
) -> None:
    container = build_container(
        settings, uow_factory=pg_uow_factory, gateway=FakeGateway(), hasher=FakeHasher()
    )
    app = create_app(container, register_rate_limit=("minute", 2))
    async with app_client(app) as client:
        statuses = [
            (
                await client.post(
                    REGISTER, json={"email": f"r{i}@example.com", "password": PASSWORD}
                )
            ).status_code
            for i in range(3)
        ]
        assert statuses == [201, 201, 429]
        async with pg_uow_factory() as uow:
            assert await uow.users.get_by_email("r2@example.com") is None


async def test_real_argon2_hashing(
    settings: Settings, pg_uow_factory: SqlUnitOfWorkFactory
) -> None:
    container = build_container(settings, uow_factory=pg_uow_factory, gateway=FakeGateway())
    async with app_client(create_app(container)) as client:
        body = {"email": "argon@example.com", "password": PASSWORD}
        assert (await client.post(REGISTER, json=body)).status_code == 201
        async with pg_uow_factory() as uow:
            stored = await uow.users.get_by_email("argon@example.com")
        assert stored is not None
        assert stored.password_hash.startswith("$argon2id$")
        assert PASSWORD not in stored.password_hash
        assert (await client.post(LOGIN, json=body)).status_code == 200
        wrong = {**body, "password": PASSWORD + "!"}
        assert (await client.post(LOGIN, json=wrong)).status_code == 401


async def test_admin_role_is_in_the_token(api: Api) -> None:
    admin = await api.admin()
    assert admin.user.role is Role.ADMIN
    response = await api.client.post(LOGIN, json={"email": admin.user.email, "password": PASSWORD})
    claims = jwt.decode(response.json()["access_token"], JWT_SECRET, algorithms=["HS256"])
    assert claims["extras"] == {"role": "admin", "pwd": IsStr()}


def test_refuses_to_start_outside_dev_with_default_secrets(pg_url: str) -> None:
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        create_app(settings=Settings(APP_ENV="prod", DATABASE_URL=pg_url))
    with pytest.raises(SettingsError, match="JWT_SECRET"):
        create_app(settings=make_settings(pg_url, APP_ENV="prod", JWT_SECRET="short"))
    with pytest.raises(SettingsError, match="YCLIENTS_WEBHOOK_SECRET"):
        create_app(settings=Settings(APP_ENV="prod", DATABASE_URL=pg_url, JWT_SECRET=JWT_SECRET))
    create_app(settings=make_settings(pg_url, APP_ENV="prod"))  # real secrets: starts


async def test_created_at_is_utc_iso8601(api: Api) -> None:
    member = await api.member()
    body = (await api.client.get(ME, headers=member.headers)).json()
    assert datetime.fromisoformat(body["created_at"]).utcoffset() == timedelta(0)


async def test_failed_logins_slow_the_account_down_whoever_the_address(
    settings: Settings, pg_uow_factory: SqlUnitOfWorkFactory
) -> None:
    """Issue 20 item 4 over HTTP: after five failures the account answers 429 with
    Retry-After (doubling with each failure), and the right password ends the streak."""
    now = [datetime(2026, 11, 25, 12, 0, tzinfo=UTC)]
    container = build_container(
        settings,
        uow_factory=pg_uow_factory,
        gateway=FakeGateway(),
        hasher=FakeHasher(),
        login_streaks=MemoryLoginStreaks(clock=lambda: now[0]),
    )
    app = create_app(container, login_rate_limit=("minute", 1000))
    async with app_client(app) as client:
        body = {"email": "slow@example.com", "password": PASSWORD}
        assert (await client.post(REGISTER, json=body)).status_code == 201
        wrong = {**body, "password": "wrong-password"}
        assert [(await client.post(LOGIN, json=wrong)).status_code for _ in range(5)] == [401] * 5
        refused = await client.post(LOGIN, json=body)  # even the right password waits
        assert_error(refused, 429)
        assert refused.headers["retry-after"] == "1"
        now[0] += timedelta(seconds=1)
        assert (await client.post(LOGIN, json=wrong)).status_code == 401
        assert (await client.post(LOGIN, json=body)).headers["retry-after"] == "2"
        now[0] += timedelta(seconds=2)
        assert (await client.post(LOGIN, json=body)).status_code == 200
        assert (await client.post(LOGIN, json=wrong)).status_code == 401  # streak ended
