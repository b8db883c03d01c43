"""The Litestar app end to end on PostgreSQL: the real app around a container whose
database is the session's test database, YClients an in-memory fake, passwords hashed fast.

`api` sets the scene (members, an admin, bookings) through the use cases and talks to the
app over `AsyncTestClient`; assertions go through HTTP or straight to the tables.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.adapters.tasks.in_process import InProcessRunner
from src.domain.booking import Booking, BookingKey, BookingStatus
from src.domain.record import ClientInfo, ServiceLine, YClientsRecord
from src.domain.user import Role, User
from src.entrypoints.asgi import create_app
from src.entrypoints.bootstrap import Container, build_container
from src.entrypoints.http.auth import issue_token
from src.entrypoints.settings import Settings
from tests.factories import COMPANY_ID
from tests.fakes.auth import FakeHasher
from tests.fakes.yclients import FakeGateway
from tests.paths import YCLIENTS_FIXTURES

FIXTURES = YCLIENTS_FIXTURES
WEBHOOK_SECRET = "test-webhook-secret-0123456789-abcdef"
JWT_SECRET = "test-jwt-secret-0123456789-0123456789-abcdef"
WIDGET_URL = "https://n873456.yclients.com/"
PASSWORD = "correct horse battery"
NO_LIMIT = ("minute", 100_000)


def make_settings(pg_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        # Development rules (plain http test client: the console's cookies are not Secure);
        # tests of production rules pass APP_ENV="prod".
        "APP_ENV": "dev",
        "DATABASE_URL": pg_url,
        "JWT_SECRET": JWT_SECRET,
        "YCLIENTS_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "YCLIENTS_WIDGET_URL": WIDGET_URL,
        "YCLIENTS_COMPANY_IDS": (COMPANY_ID,),
        **overrides,
    }
    return Settings(**values)


def webhook_fixture(name: str = "webhook_record_create.json") -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())  # type: ignore[no-any-return]


def webhook_body(record_id: int | None = None, **changes: Any) -> bytes:
    """The contract's create-webhook, for another record id and with `data` fields changed."""
    body = webhook_fixture()
    if record_id is not None:
        body["resource_id"] = body["data"]["id"] = record_id
    body["data"].update(changes)
    return json.dumps(body, ensure_ascii=False).encode()


_record_ids = itertools.count(500_001)


def make_record(
    record_id: int | None = None,
    *,
    email: str | None = None,
    phone: str | None = None,
    comment: str = "",
    status: BookingStatus = BookingStatus.PENDING,
    at: datetime | None = None,
    price: str = "2500.00",
    changed: datetime | None = None,
    company_id: int = COMPANY_ID,
) -> YClientsRecord:
    """A YClients record; by default pending, two days ahead, no client data."""
    now = datetime.now(UTC)
    client = ClientInfo(name="Client", email=email, phone=phone) if email or phone else None
    return YClientsRecord(
        company_id=company_id,
        record_id=record_id or next(_record_ids),
        status=status,
        appointment_at=at or now + timedelta(days=2),
        last_change_at=changed or now,
        services=(ServiceLine("Manicure", Decimal(price)),),
        staff_name="Anna",
        client=client,
        comment=comment,
    )


@dataclass
class Member:
    user: User
    token: str

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Api:
    """The app under test, its container, and scene-setting helpers."""

    client: httpx.AsyncClient
    container: Container
    gateway: FakeGateway
    engine: AsyncEngine
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def member(
        self,
        email: str | None = None,
        *,
        role: Role = Role.USER,
        verified: bool = True,
        **kw: Any,
    ) -> Member:
        """A registered member; `verified`: as if they had proved their email and phone."""
        n = next(self._ids)
        user = await self.container.register(
            email or f"member{n}@example.com", PASSWORD, role=role, **kw
        )
        if verified:
            async with self.engine.begin() as conn:
                await conn.execute(
                    text(
                        "UPDATE users SET email_verified_at = now(), phone_verified_at = "
                        "CASE WHEN phone_key IS NULL THEN NULL ELSE now() END WHERE id = :id"
                    ),
                    {"id": user.id},
                )
            async with self.container.uow_factory() as uow:
                user = await uow.users.get(user.id) or user
        return Member(user, issue_token(self.container.settings, user))

    async def admin(self) -> Member:
        return await self.member(f"admin{next(self._ids)}@example.com", role=Role.ADMIN)

    def record(self, record_id: int | None = None, **kwargs: Any) -> YClientsRecord:
        return make_record(record_id, **kwargs)

    async def ingest(self, *records: YClientsRecord) -> None:
        await self.container.ingest(list(records))

    async def booking(self, record_id: int) -> Booking:
        async with self.container.uow_factory() as uow:
            found = await uow.bookings.get_many([BookingKey(COMPANY_ID, record_id)])
        return found[BookingKey(COMPANY_ID, record_id)]

    async def count(self, table: str) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list(await conn.execute(text(sql), params))


@asynccontextmanager
async def app_client(app: Litestar, *, lifespan: bool = False) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client for `app` in this event loop (Litestar's AsyncTestClient runs the app
    on a thread of its own: the database pool would cross event loops, and concurrent
    requests would run one at a time).

    `lifespan=True` runs the app's startup/shutdown around the client; only inside a test
    body, since Litestar's lifespan must end in the task that started it."""
    transport = httpx.ASGITransport(app=app)
    async with AsyncExitStack() as stack:
        if lifespan:
            await stack.enter_async_context(app.lifespan())
        yield await stack.enter_async_context(
            httpx.AsyncClient(transport=transport, base_url="http://testserver")
        )


@pytest.fixture
def settings(pg_url: str) -> Settings:
    return make_settings(pg_url)


@pytest.fixture
def gateway() -> FakeGateway:
    return FakeGateway()


@pytest.fixture
async def container(
    settings: Settings, pg_uow_factory: SqlUnitOfWorkFactory, gateway: FakeGateway
) -> AsyncIterator[Container]:
    container = build_container(
        settings,
        uow_factory=pg_uow_factory,
        gateway=gateway,
        hasher=FakeHasher(),
        queue=StoreOnlyQueue(),
    )
    await container.ensure_salons()  # as the app's start does (these tests skip the lifespan)
    yield container
    await container.aclose()


def with_task_runtime(api: Api) -> Container:
    """The api's container with the real in-process task runner (the embedded run's)."""
    c = api.container
    return build_container(
        c.settings, uow_factory=c.uow_factory, gateway=api.gateway, hasher=c.hasher,
        clock=c.clock, switches=c.switches, sync_lock=c.sync_lock,
    )  # fmt: skip


class StoreOnlyQueue(InProcessRunner):
    """Webhook events stay in the inbox as stored (these tests look at the HTTP layer);
    syncs run in the process, so `?wait=true` finishes."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[int] = []
        self.kicks: list[int] = []  # companies whose drain was asked for (tests drain them)

    async def retry_event(self, event_id: int, at: datetime | None = None) -> None:
        self.events.append(event_id)

    async def kick_drain(self, company_id: int) -> None:
        self.kicks.append(company_id)


@pytest.fixture
async def api(
    container: Container, gateway: FakeGateway, pg_engine: AsyncEngine
) -> AsyncIterator[Api]:
    app = create_app(container, login_rate_limit=NO_LIMIT)
    async with app_client(app) as client:
        yield Api(client, container, gateway, pg_engine)
