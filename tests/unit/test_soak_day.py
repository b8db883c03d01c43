"""The soak run's day: realistic, deterministic, and its expected outcome follows from its
operations (members stay at the base level, so points are a plain sum)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

from src.entrypoints.simulator.day import Booking, Member, plan_day, points

START = datetime(2030, 3, 4, 6, 0, tzinfo=UTC)
MEMBERS = [
    Member(i, f"m{i}@example.com", f"+7 916 000-{i // 100:02d}-{i % 100:02d}",
           f"ABCD{i:04d}" if i % 2 else None)
    for i in range(1, 41)
]  # fmt: skip
SALONS = list(range(1000, 1020))


def _plan(**kw):  # type: ignore[no-untyped-def]
    return plan_day(SALONS, MEMBERS, hours=4, start=START, per_hour=3, seed=11, **kw)


def test_the_same_seed_gives_the_same_day() -> None:
    a, b = _plan(), _plan()
    assert a.ops == b.ops
    assert a.expected == b.expected


def test_a_few_bookings_per_salon_per_hour_with_every_kind_of_change() -> None:
    plan = _plan()
    created = [op for op in plan.ops if op.kind == "create"]
    assert 20 * 4 * 3 * 0.7 < len(created) < 20 * 4 * 3 * 1.3
    kinds = Counter(op.kind for op in plan.ops)
    assert set(kinds) == {"create", "reschedule", "confirm", "complete", "no_show", "delete",
                          "reprice"}  # fmt: skip
    assert [op.at for op in plan.ops] == sorted(op.at for op in plan.ops)
    assert all(0 <= op.at < 4 * 3600 for op in plan.ops)
    # A record's first operation creates it.
    first: dict[int, str] = {}
    for op in plan.ops:
        first.setdefault(op.record_id, op.kind)
    assert set(first.values()) == {"create"}


def test_expected_state_replays_the_operations() -> None:
    plan = _plan()
    replay: dict[int, Booking] = {}
    for op in plan.ops:
        if op.kind == "create":
            assert op.body is not None
            price = sum((Decimal(s["cost"]) for s in op.body["services"]), Decimal(0))
            replay[op.record_id] = Booking(op.company_id, op.record_id, None, price=price)
        elif op.kind == "delete":
            replay[op.record_id].deleted = True
        elif op.body and "attendance" in op.body:
            replay[op.record_id].attendance = op.body["attendance"]
        elif op.body and "services" in op.body:
            replay[op.record_id].price = Decimal(op.body["services"][0]["cost"])
    for rid, want in plan.expected.items():
        got = replay[rid]
        assert (got.attendance, got.deleted, got.price) == (want.attendance, want.deleted,
                                                             want.price)  # fmt: skip


def test_members_are_named_by_code_email_or_phone_and_stay_below_the_first_level() -> None:
    plan = _plan()
    by_id = {m.user_id: m for m in MEMBERS}
    creates = {op.record_id: op.body for op in plan.ops if op.kind == "create"}
    ways = Counter()
    spend: Counter[int] = Counter()
    for rid, booking in plan.expected.items():
        body = creates[rid]
        assert body is not None
        if booking.member is None:
            assert "Код клиента" not in body["comment"]
            assert body["client"]["phone"].startswith("+7 999")
            continue
        m = by_id[booking.member]
        spend[m.user_id] += max(booking.price, Decimal(0))
        if m.code and f"Код клиента: {m.code}" in body["comment"]:
            ways["code"] += 1
        elif body["client"]["email"] == m.email.upper():
            ways["email"] += 1
        else:
            digits = "".join(c for c in body["client"]["phone"] if c.isdigit())[-10:]
            assert digits == "".join(c for c in m.phone if c.isdigit())[-10:]
            ways["phone"] += 1
    assert set(ways) == {"code", "email", "phone"}
    assert max(spend.values()) < Decimal(30_000)  # Silver starts at 30,000


def test_expected_points_are_the_completed_not_deleted_visits_at_three_percent() -> None:
    plan = _plan()
    due = plan.expected_points(MEMBERS)
    assert set(due) == {m.user_id for m in MEMBERS}
    total = sum(
        (points(b.price, Decimal(3)) for b in plan.expected.values()
         if b.member and b.attendance == 1 and not b.deleted),
        Decimal(0),
    )  # fmt: skip
    assert sum(due.values()) == total > 0
    statuses = Counter(b.status for b in plan.expected.values())
    assert {"COMPLETED", "CANCELLED", "NO_SHOW", "PENDING"} <= set(statuses)
    assert points(Decimal("2799.50"), Decimal(3)) == Decimal("83.99")  # half up
