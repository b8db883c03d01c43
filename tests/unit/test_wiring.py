"""Handlers get what they use: use cases are dataclasses of their ports, sorted into the
small groups routers provide; guards and probes go through use cases."""

from __future__ import annotations

import dataclasses
import inspect
import typing

import pytest

from src.application.use_cases.access import CheckReadiness, CurrentUser
from src.entrypoints.http.app import create_app
from src.entrypoints.settings import Settings
from src.entrypoints.wiring import groups
from tests.unit.conftest import World

# Converted on their own branch (the money use cases): not held to the rule here yet.
NOT_YET = {
    f"src.application.use_cases.{name}"
    for name in ("award", "redemptions", "loyalty", "expire_points", "verification")
}


def _holder() -> type:
    from src.entrypoints.bootstrap import Container

    return Container


def test_every_group_is_a_frozen_dataclass_of_dataclass_use_cases() -> None:
    hints = typing.get_type_hints(_holder())
    not_dataclasses = []
    for name in groups.GROUPS:
        group = hints[name]
        assert dataclasses.is_dataclass(group), name
        assert group.__dataclass_params__.frozen, name  # type: ignore[attr-defined]
        for field, kind in typing.get_type_hints(group).items():
            if not inspect.isclass(kind) or not kind.__module__.startswith("src.application"):
                continue  # settings
            if getattr(kind, "_is_protocol", False) or kind.__module__ in NOT_YET:
                continue  # a port
            if not dataclasses.is_dataclass(kind):
                not_dataclasses.append(f"{name}.{field}: {kind.__name__}")
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
