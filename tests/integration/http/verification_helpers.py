"""HTTP tests of the verification flows: the app with a notifier that keeps what it sends."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from src.adapters.db.uow import SqlUnitOfWorkFactory
from src.domain.contacts import phone_key
from src.entrypoints.bootstrap import Container, build_container
from src.entrypoints.settings import Settings
from tests.fakes.auth import FakeHasher
from tests.fakes.notify import FakeNotifier
from tests.fakes.yclients import FakeGateway
from tests.integration.http.conftest import StoreOnlyQueue


@pytest.fixture
def notifier() -> FakeNotifier:
    return FakeNotifier()


@pytest.fixture
async def container(
    settings: Settings,
    pg_uow_factory: SqlUnitOfWorkFactory,
    gateway: FakeGateway,
    notifier: FakeNotifier,
) -> AsyncIterator[Container]:
    """The conftest's container, with the notifier above."""
    container = build_container(
        settings,
        uow_factory=pg_uow_factory,
        gateway=gateway,
        hasher=FakeHasher(),
        notifier=notifier,
        queue=StoreOnlyQueue(),
    )
    yield container
    await container.aclose()


def sms_code(notifier: FakeNotifier, to: str) -> str:
    """The newest code texted to this phone (SMS go to its E.164 number, however typed)."""
    codes = [c for t, _, c in notifier.sms if phone_key(t) == phone_key(to) and c]
    assert codes, f"no SMS code was sent to {to}"
    return codes[-1]


def email_code(notifier: FakeNotifier, to: str, reset: bool = False) -> str:
    codes = [c for t, s, _, c in notifier.emails if t == to and c and ("reset" in s) == reset]
    assert codes, f"no email code was sent to {to}"
    return codes[-1]


async def time_passes(engine: AsyncEngine) -> None:
    """As if an hour went by since every code was sent (the send limits are spent)."""
    async with engine.begin() as conn:
        await conn.execute(
            text("UPDATE verification_codes SET created_at = created_at - interval '1 hour'")
        )
