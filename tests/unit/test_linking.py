"""The seed's lookup order: code in the comment, then email, then the phone's last 10 digits."""

from __future__ import annotations

from src.domain.booking import MatchMethod
from tests.unit.conftest import World


async def test_links_by_code_in_comment(world: World) -> None:
    maria = await world.user(code="ABC23456")
    await world.ingest.one(world.record(comment="Код клиента: ABC23456"))
    b = world.booking()
    assert (b.user_id, b.match_method) == (maria.id, MatchMethod.CODE)


async def test_code_variants_link(world: World) -> None:
    maria = await world.user(code="ABC23456")
    comments = ["код клиента abc23456", "Note\nКод клиента:АВС23456\nbye", "КОД КЛИЕНТА: abc23456"]
    for i, comment in enumerate(comments, start=1):
        await world.ingest.one(world.record(i, comment=comment))
        assert world.booking(i).user_id == maria.id, comment


async def test_code_beats_email_and_phone(world: World) -> None:
    maria = await world.user("maria@example.com", code="ABC23456")
    olga = await world.user("olga@example.com", phone="+79165551234")
    await world.ingest.one(
        world.record(comment="Код клиента: ABC23456", email="olga@example.com", phone="89165551234")
    )
    assert world.booking().user_id == maria.id
    assert olga.id != maria.id


async def test_unknown_code_falls_through_to_email(world: World) -> None:
    maria = await world.user("maria@example.com")
    await world.ingest.one(world.record(comment="Код клиента: ZZZ99999", email="maria@example.com"))
    b = world.booking()
    assert (b.user_id, b.match_method) == (maria.id, MatchMethod.EMAIL)


async def test_email_is_case_and_space_insensitive(world: World) -> None:
    maria = await world.user("maria@example.com")
    await world.ingest.one(world.record(email="  MARIA@Example.com "))
    assert world.booking().user_id == maria.id


async def test_phone_last_ten_digits_in_every_format(world: World) -> None:
    maria = await world.user("maria@example.com", phone="+7 (916) 555-12-34")
    for i, phone in enumerate(["8 916 555 12 34", "79165551234", "+7 916 555-12-34"], start=1):
        await world.ingest.one(world.record(i, phone=phone))
        b = world.booking(i)
        assert (b.user_id, b.match_method) == (maria.id, MatchMethod.PHONE), phone


async def test_shared_email_links_nobody_and_says_why(world: World) -> None:
    await world.user("a@example.com")
    second = await world.user("b@example.com")
    world.store.users[second.id].email = "a@example.com"  # legacy data: one email, two members
    await world.ingest.one(world.record(email="A@example.com"))
    b = world.booking()
    assert b.user_id is None
    assert b.unmatched_reason == "email a@example.com is shared by 2 users"


async def test_shared_phone_links_nobody_and_says_why(world: World) -> None:
    await world.user("a@example.com", phone="+79165551234")
    await world.user("b@example.com", phone="89165551234")
    await world.ingest.one(world.record(phone="79165551234"))
    b = world.booking()
    assert b.user_id is None
    assert "phone …1234 is shared by 2 users" in (b.unmatched_reason or "")


async def test_unmatched_reason_names_what_was_tried(world: World) -> None:
    await world.ingest.one(world.record(email="ghost@example.com"))
    assert world.booking().unmatched_reason == "email ghost@example.com matches no user"
    await world.ingest.one(world.record(2))
    assert world.booking(2).unmatched_reason == "no client code, email or phone in the booking"


async def test_linked_booking_is_never_relinked_by_sync(world: World) -> None:
    maria = await world.user("maria@example.com", code="ABC23456")
    olga = await world.user("olga@example.com", code="QWE23456")
    first = world.record(comment="Код клиента: ABC23456")
    await world.ingest.one(first)
    await world.ingest.one(world.newer(first, comment="Код клиента: QWE23456"))
    b = world.booking()
    assert b.user_id == maria.id and b.comment == "Код клиента: QWE23456"
    assert olga.id != b.user_id


async def test_unmatched_booking_links_once_member_registers(world: World) -> None:
    record = world.record(email="late@example.com")
    await world.ingest.one(record)
    assert world.booking().user_id is None
    late = await world.user("late@example.com")
    counts = await world.ingest.one(record)  # same version, e.g. the next sync
    assert world.booking().user_id == late.id
    assert counts.linked == 1


async def test_a_late_link_keeps_everything_else_the_booking_holds(world: World) -> None:
    # The sync reads stored bookings without their details (services, staff, client name);
    # linking an unchanged one must write it back whole.
    record = world.record(email="late@example.com")
    await world.ingest.one(record)
    before = world.booking()
    await world.user("late@example.com")
    await world.ingest.one(record)
    after = world.booking()
    assert after.user_id is not None and after.services and after.staff_name
    assert (after.services, after.staff_name, after.client_name, after.price) == (
        before.services, before.staff_name, before.client_name, before.price,
    )  # fmt: skip
