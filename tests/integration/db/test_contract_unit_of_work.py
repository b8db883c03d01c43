"""The unit of work: one transaction per `async with`, rolled back unless committed."""

from __future__ import annotations

import pytest

from src.application.ports.uow import UnitOfWorkFactory
from src.application.ports.users import NewUser


async def _emails(factory: UnitOfWorkFactory, *emails: str) -> list[str]:
    async with factory() as uow:
        found = [await uow.users.get_by_email(e) for e in emails]
    return [u.email for u in found if u is not None]


async def test_without_commit_nothing_is_kept(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.users.add(NewUser(email="a@example.com", password_hash="h"))
    assert await _emails(uow_factory, "a@example.com") == []


async def test_commit_keeps_and_an_error_rolls_back(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.users.add(NewUser(email="a@example.com", password_hash="h"))
        await uow.commit()
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.users.add(NewUser(email="b@example.com", password_hash="h"))
            raise RuntimeError("boom")
    assert await _emails(uow_factory, "a@example.com", "b@example.com") == ["a@example.com"]


async def test_work_after_a_commit_needs_its_own_commit(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        await uow.users.add(NewUser(email="a@example.com", password_hash="h"))
        await uow.commit()
        await uow.users.add(NewUser(email="b@example.com", password_hash="h"))
    assert await _emails(uow_factory, "a@example.com", "b@example.com") == ["a@example.com"]


async def test_after_commit_runs_once_after_the_commit_and_never_without_it(
    uow_factory: UnitOfWorkFactory,
) -> None:
    published: list[str] = []
    async with uow_factory() as uow:
        uow.after_commit(lambda: published.append("first"))
        assert published == []  # nothing before the commit
        await uow.commit()
        uow.after_commit(lambda: published.append("never committed"))
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            uow.after_commit(lambda: published.append("failed"))
            raise RuntimeError("boom")
    async with uow_factory() as uow:
        await uow.commit()  # a later commit does not run earlier transactions' reports again
    assert published == ["first"]
