"""Admin member search, role changes and `create-admin` (EnsureAdmin) over the fakes."""

from __future__ import annotations

import pytest

from src.application.errors import Conflict, InvalidCredentials, NotFound, ValidationFailed
from src.application.use_cases.members import ChangeRole, EnsureAdmin, SearchMembers, search_text
from src.application.use_cases.users import Authenticate, RegisterUser
from src.domain.user import Role
from tests.fakes.auth import FakeHasher
from tests.unit.conftest import World


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("+7 (916) 555-12-34", "9165551234"),
        ("8 916 555 12 34", "9165551234"),
        ("555-12", "55512"),
        ("  Maria@Example.com ", "Maria@Example.com"),
        ("ABC23456", "ABC23456"),
        ("", ""),
        (None, ""),
    ],
)
def test_search_text_reduces_phones_to_their_digits(typed: str | None, searched: str) -> None:
    assert search_text(typed) == searched


def test_search_text_refuses_a_long_query() -> None:
    with pytest.raises(ValidationFailed, match="q:"):
        search_text("x" * 101)


async def test_search_by_phone_in_any_format(world: World) -> None:
    register = RegisterUser(world.uow_factory, FakeHasher())
    maria = await register("maria@example.com", "secret123", phone="+7 916 555-12-34")
    await register("oleg@example.com", "secret123", phone="+7 903 111-22-33")
    page = await SearchMembers(world.uow_factory)("8(916)5551234")
    assert [m.user.id for m in page.items] == [maria.id]


async def test_the_last_admin_cannot_be_demoted(world: World) -> None:
    register = RegisterUser(world.uow_factory, FakeHasher())
    admin = await register("admin@example.com", "secret123", role=Role.ADMIN)
    member = await register("maria@example.com", "secret123")
    change = ChangeRole(world.uow_factory)
    with pytest.raises(Conflict, match="last admin"):
        await change(admin.id, Role.USER)
    assert (await change(member.id, Role.ADMIN)).role is Role.ADMIN
    assert (await change(admin.id, Role.USER)).role is Role.USER
    with pytest.raises(Conflict, match="last admin"):
        await change(member.id, Role.USER)
    with pytest.raises(NotFound):
        await change(999, Role.ADMIN)


async def test_create_admin_on_a_strangers_account_sets_the_password_and_verifies_the_email(
    world: World,
) -> None:
    # Anyone could register the owner's email first; promoting that account with its
    # registrant's password made them the admin (issue 20, item 7).
    member = await RegisterUser(world.uow_factory, FakeHasher())("maria@example.com", "secret123")
    ensure = EnsureAdmin(world.uow_factory, FakeHasher(), world.clock)
    with pytest.raises(ValidationFailed, match="password"):
        await ensure("MARIA@example.com", None)  # no password: nothing changes
    assert world.store.users[member.id].role is Role.USER
    user, created = await ensure("MARIA@example.com", "the-admins-pass")
    assert (user.id, user.role, created) == (member.id, Role.ADMIN, False)
    stored = world.store.users[member.id]
    assert stored.password_hash == "plain$the-admins-pass"
    assert stored.email_verified_at == world.clock.now()
    authenticate = Authenticate(world.uow_factory, FakeHasher())
    with pytest.raises(InvalidCredentials):
        await authenticate("maria@example.com", "secret123")
    assert (await authenticate("maria@example.com", "the-admins-pass")).id == member.id


async def test_create_admin_creates_a_new_account_only_with_a_password(world: World) -> None:
    ensure = EnsureAdmin(world.uow_factory, FakeHasher(), world.clock)
    with pytest.raises(ValidationFailed, match="password"):
        await ensure("new@example.com", None)
    with pytest.raises(ValidationFailed, match="password"):
        await ensure("new@example.com", "short")
    user, created = await ensure("new@example.com", "long-enough-1")
    assert (user.role, created) == (Role.ADMIN, True)


def test_member_search_with_a_nul_character_is_refused_not_a_500() -> None:
    # Found by the schemathesis run: `q=...%00` reached PostgreSQL, which refuses NUL (500).
    with pytest.raises(ValidationFailed, match="NUL"):
        search_text("maria\x00")
