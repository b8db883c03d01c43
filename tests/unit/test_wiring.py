"""Handlers get what they use: use cases are dataclasses of their ports, sorted into the
small groups routers provide; guards and probes go through use cases."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from src.application.use_cases.access import CheckReadiness, CurrentUser
from src.entrypoints.asgi import create_app
from src.entrypoints.bootstrap import build_container
from src.entrypoints.settings import Settings
from src.entrypoints.wiring import groups
from tests.unit.conftest import World


def test_every_group_is_a_frozen_dataclass_of_dataclass_use_cases(world: World) -> None:
    container = build_container(
        Settings(APP_ENV="dev"), uow_factory=world.uow_factory, gateway=world.gateway
    )
    not_dataclasses = []
    for name in groups.GROUPS:
        group = getattr(container, name)
        assert dataclasses.is_dataclass(group), name
        assert type(group).__dataclass_params__.frozen, name  # type: ignore[attr-defined]
        for field in dataclasses.fields(group):
            kind = type(getattr(group, field.name))
            if not kind.__module__.startswith("src.application.use_cases") and not (
                kind.__module__.startswith("src.application.inbox")
            ):
                continue  # an adapter (a port's implementation) or settings
            if not dataclasses.is_dataclass(kind):
                not_dataclasses.append(f"{name}.{field.name}: {kind.__name__}")
    assert not not_dataclasses


def test_api_handlers_receive_groups_not_the_container() -> None:
    """Only console pages (moving to their groups) may still name `container`."""
    app = create_app(settings=Settings(APP_ENV="dev"), metrics=False)
    takers = sorted(
        f"{route.path} {handler.handler_name}"
        for route in app.routes
        if not route.path.startswith("/admin")
        for handler in getattr(route, "route_handlers", [])
        if "container" in inspect.signature(handler.fn).parameters
    )
    assert takers == []


async def test_current_user_reads_the_stored_user(world: World) -> None:
    user = await world.user()
    current = CurrentUser(world.uow_factory)
    assert (await current(user.id)).email == user.email  # type: ignore[union-attr]
    assert await current(user.id + 1000) is None


async def test_readiness_raises_what_the_database_raised(world: World) -> None:
    await CheckReadiness(world.uow_factory)()

    class Down:
        def __call__(self):  # type: ignore[no-untyped-def]
            raise OSError("connection refused")

    with pytest.raises(OSError):
        await CheckReadiness(Down())()  # type: ignore[arg-type]


def test_a_use_case_swapped_by_name_reaches_every_group_holding_it(world: World) -> None:
    container = build_container(
        Settings(APP_ENV="dev"), uow_factory=world.uow_factory, gateway=world.gateway
    )
    assert container.yclients.request_sync is container.console.request_sync  # built once

    async def broken(company_id: int) -> None:
        raise RuntimeError("down")

    container.request_sync = broken
    assert container.yclients.request_sync is broken and container.console.request_sync is broken
    assert container.request_sync is broken
    with pytest.raises(AttributeError):
        _ = container.no_such_use_case
