from __future__ import annotations

from src.application.use_cases.client_codes import GenerateUniqueCodes, IssueBookingForm
from src.domain.client_codes import is_valid_code
from tests.fakes.client_codes import FakeClientCodes
from tests.unit.conftest import World


async def test_code_created_on_first_form_request_then_stable(world: World) -> None:
    maria = await world.user()
    assert world.store.users[maria.id].unique_code is None
    issue = IssueBookingForm(
        world.uow_factory, FakeClientCodes("ABC23456"), "https://n1.yclients.com/"
    )
    form = await issue(maria.id)
    assert form.unique_code == "ABC23456"
    assert form.comment == "Код клиента: ABC23456"
    assert form.widget_url == "https://n1.yclients.com/"
    again = await issue(maria.id)
    assert again.unique_code == "ABC23456"
    assert world.store.users[maria.id].unique_code == "ABC23456"


async def test_collision_draws_another_code(world: World) -> None:
    await world.user("taken@example.com", code="ABC23456")
    maria = await world.user()
    form = await IssueBookingForm(world.uow_factory, FakeClientCodes("ABC23456", "XYZ23456"), None)(
        maria.id
    )
    assert form.unique_code == "XYZ23456"


async def test_generate_unique_codes_fills_only_missing_and_is_idempotent(world: World) -> None:
    await world.user("has@example.com", code="ABC23456")
    for i in range(7):
        await world.user(f"u{i}@example.com")
    generate = GenerateUniqueCodes(world.uow_factory, FakeClientCodes("ABC23456"), batch=3)
    assert await generate() == 7
    assert await generate() == 0
    codes = [u.unique_code for u in world.store.users.values()]
    assert len(set(codes)) == 8 and all(c and is_valid_code(c) for c in codes)
