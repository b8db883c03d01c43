"""Issue 20 item 8: a double-click on "Изменить баллы" saved the adjustment twice. RunOnce
applies an action at most once per actor and one-time key; repeats get the first answer."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from src.application.errors import ValidationFailed
from src.application.use_cases.once import KeyReused, RunOnce, StillRunning
from tests.fakes.uow import FakeUnitOfWorkFactory


class Clock:
    def now(self) -> datetime:
        return datetime(2030, 1, 15, 12, tzinfo=UTC)


KEY = "0b8f9c2e-double-click"


async def test_double_click_a_repeated_key_runs_the_action_once_and_answers_the_first_result() -> (
    None
):
    runs: list[int] = []

    async def action() -> str:
        runs.append(1)
        await asyncio.sleep(0.01)  # the second click arrives while the first is running
        return f"done #{len(runs)}"

    once = RunOnce(FakeUnitOfWorkFactory(), Clock())
    answers = await asyncio.gather(*[once(7, KEY, "adjust:5", "fp", action) for _ in range(4)])
    assert runs == [1]
    assert answers == ["done #1"] * 4
    assert await once(7, KEY, "adjust:5", "fp", action) == "done #1"  # a later replay
    assert await once(8, KEY, "adjust:5", "fp", action) == "done #2"  # another admin's key


async def test_double_click_a_key_reused_for_another_request_is_refused() -> None:
    async def action() -> str:
        return "ok"

    once = RunOnce(FakeUnitOfWorkFactory(), Clock())
    await once(7, KEY, "adjust:5", "fp-100", action)
    with pytest.raises(KeyReused):
        await once(7, KEY, "adjust:5", "fp-1000", action)
    with pytest.raises(KeyReused):
        await once(7, KEY, "redeem:5", "fp-100", action)


async def test_double_click_a_failed_action_gives_its_key_back() -> None:
    calls: list[int] = []

    async def failing() -> str:
        calls.append(1)
        raise ValidationFailed("amount: would make the balance negative")

    once = RunOnce(FakeUnitOfWorkFactory(), Clock())
    for _ in range(2):
        with pytest.raises(ValidationFailed):
            await once(7, KEY, "adjust:5", "fp", failing)
    assert len(calls) == 2  # nothing was applied, so a retry may run it


async def test_double_click_a_key_whose_first_request_never_finished_is_not_run_again() -> None:
    factory = FakeUnitOfWorkFactory()
    once = RunOnce(factory, Clock(), wait_seconds=0.1)
    started = asyncio.Event()

    async def hangs() -> str:
        started.set()
        await asyncio.sleep(3600)
        return "never"

    first = asyncio.create_task(once(7, KEY, "sync", "fp", hangs))
    await started.wait()
    with pytest.raises(StillRunning):
        await once(7, KEY, "sync", "fp", hangs)
    first.cancel()


@pytest.mark.parametrize("key", ["", "short", "x" * 101, "has space in it", "ключ-ключ-ключ"])
async def test_double_click_a_malformed_key_is_refused(key: str) -> None:
    async def action() -> str:
        return "ok"

    with pytest.raises(ValidationFailed):
        await RunOnce(FakeUnitOfWorkFactory(), Clock())(7, key, "a", "fp", action)
