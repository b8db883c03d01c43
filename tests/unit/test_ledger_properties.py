"""Property: whatever order, duplication or switching, the ledger matches the bookings.

Steps: booking versions (duplicated, reordered), the loyalty switch, members' holds on their
bookings and releases of them, staff captures of holds at checkout (issue 20), staff
redemptions (with or without a visit) and admin adjustments. After every step:
each booking's earned entries sum to its granted points and, for bookings just ingested with
loyalty on, to the entitlement of its newest version; each balance equals the sum of that
member's ledger; no ledger step is written twice; every redemption has exactly the entries
its state implies (held points = the HELD redemptions); a cancelled or no-show booking whose
newest version was applied with loyalty on holds nothing and keeps no captured points (a
capture is reversed once, with its own RELEASE entry). Expiry runs at random clock times
(TTL 30 days): no lot is consumed or expired beyond its amount, and no lot expires twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import example, given
from hypothesis import strategies as st

from src.application.errors import AppError
from src.application.ledger import TTL_HISTORY
from src.application.ports.users import NewUser
from src.application.switches import Switches
from src.application.use_cases.expire_points import ExpirePoints
from src.application.use_cases.ingest import IngestRecords
from src.application.use_cases.loyalty import AdjustPoints
from src.application.use_cases.redemptions import (
    CaptureHold,
    HoldPoints,
    RedeemPoints,
    ReleaseHold,
)
from src.domain.booking import BookingStatus
from src.domain.expiry import TtlHistory, replay
from src.domain.loyalty import REVERSING_STATUSES, EntryKind, points_for
from src.domain.record import ServiceLine, YClientsRecord
from src.domain.redemption import RedemptionState
from tests.fakes.clock import FakeClock
from tests.fakes.expiry import FakeExpiryReminders
from tests.fakes.store import Store
from tests.fakes.uow import FakeUnitOfWorkFactory

T0 = datetime(2026, 11, 1, tzinfo=UTC)
CODES = ["AAAA2222", "BBBB3333"]
POINTS = ["0.01", "20", "75", "600", "3000"]


@dataclass(frozen=True)
class Version:
    record_id: int
    n: int  # version number: later versions are newer
    status: BookingStatus
    price: int
    deleted: bool
    code: int | None

    def record(self) -> YClientsRecord:
        comment = f"Код клиента: {CODES[self.code]}" if self.code is not None else ""
        return YClientsRecord(
            company_id=1,
            record_id=self.record_id,
            status=self.status,
            appointment_at=T0 + timedelta(days=self.record_id),
            last_change_at=T0 + timedelta(minutes=self.n),
            services=(ServiceLine("s", Decimal(self.price)),),
            comment=comment,
            deleted=self.deleted,
        )


versions = st.builds(
    Version,
    record_id=st.integers(1, 3),
    n=st.integers(0, 6),
    status=st.sampled_from(list(BookingStatus)),
    price=st.sampled_from([0, 999, 2500, 40000, 99999]),
    deleted=st.sampled_from([False] * 5 + [True]),  # deletions are rarer than changes
    code=st.sampled_from([0, 1, None]),
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("ingest"), st.lists(versions, min_size=1, max_size=3)),
        st.tuples(st.just("loyalty"), st.booleans()),
        *[
            st.tuples(
                st.just("hold"),
                st.tuples(st.integers(1, 3), st.sampled_from([0, 1]), st.sampled_from(POINTS)),
            )
        ]
        * 2,
        st.tuples(st.just("release"), st.tuples(st.integers(0, 3), st.sampled_from([0, 1]))),
        st.tuples(st.just("capture"), st.integers(0, 3)),
        st.tuples(st.just("redeem"), st.tuples(st.sampled_from([0, 1]), st.sampled_from(POINTS))),
        st.tuples(
            st.just("redeem_visit"),
            st.tuples(st.integers(1, 3), st.sampled_from([0, 1]), st.sampled_from(POINTS)),
        ),
        st.tuples(
            st.just("adjust"),
            st.tuples(st.sampled_from([0, 1]), st.sampled_from(["500", "-40", "-1000"])),
        ),
        # an expiry run after the clock moved on by this many days (lots live 30 days)
        st.tuples(st.just("expire"), st.sampled_from([0, 3, 12, 29, 31, 45])),
    ),
    min_size=1,
    max_size=14,
)


def _newest(seen: list[Version]) -> Version:
    # The freshest version wins; at the same time a deletion wins. Versions that tie exactly
    # (same n, same deleted) are the same YClients version, so the first one seen stands.
    best = seen[0]
    for v in seen[1:]:
        if (v.n, v.deleted) > (best.n, best.deleted):
            best = v
    return best


# The number of examples comes from the hypothesis profile (tests/conftest.py): a few
# hundred in `dev`, 2,000 in `ci`; HYPOTHESIS_EXAMPLES overrides both.
@given(steps)
# A hold on a visit that is then cancelled, missed, deleted or completed (rare at random).
@example(
    [
        ("adjust", (0, "500")),
        ("ingest", [Version(1, 0, BookingStatus.PENDING, 2500, False, 0)]),
        ("hold", (1, 0, "75")),
        ("ingest", [Version(1, 1, BookingStatus.CANCELLED, 2500, False, 0)]),
    ]
)
@example(
    [
        ("adjust", (1, "500")),
        ("ingest", [Version(2, 0, BookingStatus.CONFIRMED, 999, False, 1)]),
        ("hold", (2, 1, "20")),
        (
            "ingest",
            [
                Version(2, 2, BookingStatus.NO_SHOW, 999, False, 1),
                Version(2, 1, BookingStatus.PENDING, 999, False, 1),
            ],
        ),
    ]
)
@example(
    [
        ("adjust", (0, "500")),
        ("ingest", [Version(1, 0, BookingStatus.PENDING, 2500, False, 0)]),
        ("hold", (1, 0, "75")),
        ("ingest", [Version(1, 0, BookingStatus.PENDING, 2500, True, 0)]),
    ]
)
@example(
    [
        ("adjust", (0, "500")),
        ("ingest", [Version(3, 0, BookingStatus.PENDING, 40000, False, 0)]),
        ("hold", (3, 0, "75")),
        ("ingest", [Version(3, 1, BookingStatus.COMPLETED, 40000, False, 0)]),
        ("release", (0, 0)),
        ("ingest", [Version(3, 2, BookingStatus.CANCELLED, 40000, False, 0)]),
    ]
)
# A partly spent lot expiring, then a held lot released after its lot expired.
@example(
    [
        ("adjust", (0, "500")),
        ("redeem", (0, "75")),
        ("ingest", [Version(1, 0, BookingStatus.PENDING, 2500, False, 0)]),
        ("hold", (1, 0, "75")),
        ("expire", 31),
        ("release", (1, 0)),
        ("adjust", (0, "-40")),
        ("expire", 45),
    ]
)
# A hold captured by staff at checkout, then the visit cancelled: reversed once.
@example(
    [
        ("adjust", (0, "500")),
        ("ingest", [Version(1, 0, BookingStatus.CONFIRMED, 2500, False, 0)]),
        ("hold", (1, 0, "75")),
        ("expire", 12),
        ("capture", 0),
        ("release", (0, 0)),
        ("ingest", [Version(1, 1, BookingStatus.CANCELLED, 2500, False, 0)]),
        ("ingest", [Version(1, 1, BookingStatus.CANCELLED, 2500, False, 0)]),
    ]
)
def test_ledger_always_matches_bookings(program: list) -> None:  # type: ignore[type-arg]
    asyncio.run(_run(program))


async def _run(program: list) -> None:  # type: ignore[type-arg]
    store = Store()
    factory = FakeUnitOfWorkFactory(store)
    switches = Switches()
    clock = FakeClock(T0 - timedelta(days=10))  # the visits are ahead, then pass
    ingest = IngestRecords(factory, clock, switches)
    hold, release = HoldPoints(factory, clock), ReleaseHold(factory, clock)
    redeem, adjust = RedeemPoints(factory, clock), AdjustPoints(factory, clock)
    capture = CaptureHold(factory, clock)
    expire = ExpirePoints(factory, clock, FakeExpiryReminders(), ttl_days=30, reminder_days=7)
    await expire()  # TTL 30 days in force from the start
    users: list[int] = []
    async with factory() as uow:
        for i, code in enumerate(CODES):
            user = await uow.users.add(
                NewUser(email=f"u{i}@x.io", password_hash="x", unique_code=code)
            )
            users.append(user.id)
        await uow.commit()
    # Records whose newest version was applied while loyalty was on (holds follow those).
    applied_on: dict[int, bool] = {}
    # Same (record, n, deleted) must be the same version: make generated data consistent.
    canonical: dict[tuple[int, int, bool], Version] = {}
    seen: dict[int, list[Version]] = defaultdict(list)

    for action, arg in program:
        entries_before = len(store.entries)
        if action == "loyalty":
            switches.loyalty_enabled = arg
            continue
        if action == "expire":
            clock.advance(days=arg)
            await expire()
            _check_global(store)
            _check_redemptions(store, applied_on)
            _check_lots(store)
            continue
        if action != "ingest":
            # A refusal (not upcoming, over the cap or the balance, ...) writes nothing.
            with contextlib.suppress(AppError):
                await _spend(action, arg, store, users, (hold, release, capture, redeem, adjust))
            _check_global(store)
            _check_redemptions(store, applied_on)
            continue
        batch = [canonical.setdefault((v.record_id, v.n, v.deleted), v) for v in arg]
        for v in batch:
            before = _newest(seen[v.record_id]) if seen[v.record_id] else None
            seen[v.record_id].append(v)
            if _newest(seen[v.record_id]) is not before:
                applied_on[v.record_id] = switches.loyalty_enabled
        await ingest([v.record() for v in batch])
        if not switches.loyalty_enabled:
            assert len(store.entries) == entries_before, "loyalty off must write nothing"
        _check_global(store)
        _check_redemptions(store, applied_on)
        if switches.loyalty_enabled:
            for rid in {v.record_id for v in batch}:
                _check_entitlement(store, _newest(seen[rid]))


async def _spend(action, arg, store, users, cases) -> None:  # type: ignore[no-untyped-def]
    hold, release, capture, redeem, adjust = cases
    if action == "capture":
        ids = sorted(store.redemptions)
        if arg < len(ids):
            await capture(ids[arg], admin_id=users[0])
    elif action == "redeem_visit":
        record_id, who, points = arg
        booking = next((b for b in store.bookings.values() if b.record_id == record_id), None)
        if booking is not None:
            await redeem(users[who], Decimal(points), "at checkout", users[0], booking.id)
    elif action == "hold":
        record_id, who, points = arg
        booking = next((b for b in store.bookings.values() if b.record_id == record_id), None)
        if booking is not None:
            await hold(users[who], booking.id, Decimal(points))
    elif action == "release":
        n, who = arg
        ids = sorted(store.redemptions)
        if n < len(ids):
            await release(users[who], ids[n])
    elif action == "redeem":
        who, points = arg
        await redeem(users[who], Decimal(points), "walk-in", admin_id=users[0])
    else:
        who, amount = arg
        await adjust(users[who], Decimal(amount), "correction", admin_id=users[0])


_ENTRIES_OF_STATE = {
    RedemptionState.HELD: [EntryKind.HOLD],
    RedemptionState.CAPTURED: [EntryKind.HOLD],
    RedemptionState.RELEASED: [EntryKind.HOLD, EntryKind.RELEASE],
    RedemptionState.REDEEMED: [EntryKind.REDEMPTION],
    RedemptionState.REVERSED: [EntryKind.HOLD, EntryKind.RELEASE],
}
_SIGN = {EntryKind.HOLD: -1, EntryKind.RELEASE: 1, EntryKind.REDEMPTION: -1}


def _check_redemptions(store: Store, applied_on: dict[int, bool]) -> None:
    by_redemption: dict[int, list] = defaultdict(list)  # type: ignore[type-arg]
    for e in store.entries:
        if e.redemption_id is not None:
            assert e.booking_id is None and e.step is None  # never counted as earned
            by_redemption[e.redemption_id].append(e)
    held_per_booking: dict[int, int] = defaultdict(int)
    for r in store.redemptions.values():
        mine = by_redemption.pop(r.id, [])  # type: ignore[arg-type]
        assert [e.kind for e in mine] == _ENTRIES_OF_STATE[r.state], r
        assert all(e.amount == _SIGN[e.kind] * r.points for e in mine)
        assert all(e.user_id == r.user_id for e in mine)
        if r.state is RedemptionState.HELD:
            held_per_booking[r.booking_id] += 1  # type: ignore[index]
            booking = store.bookings[r.booking_id]  # type: ignore[index]
            if applied_on.get(booking.record_id):
                assert booking.status not in REVERSING_STATUSES, "a cancelled visit holds points"
                assert booking.status is not BookingStatus.COMPLETED, "a hold outlived its visit"
        if r.state is RedemptionState.CAPTURED:
            booking = store.bookings[r.booking_id]  # type: ignore[index]
            if applied_on.get(booking.record_id):
                assert booking.status not in REVERSING_STATUSES, "a cancelled visit spent points"
    assert not by_redemption, "ledger entries of no redemption"
    assert all(n == 1 for n in held_per_booking.values()), "two active holds on one booking"


def _check_global(store: Store) -> None:
    steps_seen: set[tuple[int, int]] = set()
    by_booking: dict[int, Decimal] = defaultdict(Decimal)
    by_user: dict[int, Decimal] = defaultdict(Decimal)
    for e in store.entries:
        if e.booking_id is not None:
            key = (e.booking_id, e.step)
            assert key not in steps_seen, f"ledger step {key} written twice"
            steps_seen.add(key)  # type: ignore[arg-type]
            by_booking[e.booking_id] += e.amount
        by_user[e.user_id] += e.amount
    for b in store.bookings.values():
        assert by_booking[b.id] == b.bonus_points  # type: ignore[index]
        assert b.loyalty_bonuses_awarded == (b.bonus_points > 0)
        assert b.bonus_points >= 0
        assert b.ledger_step == sum(1 for s in steps_seen if s[0] == b.id)
    for uid, acc in store.accounts.items():
        assert acc.balance == by_user[uid]


def _check_lots(store: Store) -> None:
    history = TtlHistory.load(store.app_state[TTL_HISTORY])
    expiries = [e for e in store.entries if e.kind is EntryKind.EXPIRY]
    # one EXPIRY entry per lot, each recorded against exactly one lot
    assert len(expiries) == len(store.lot_expiries)
    assert sorted(e.id for e in expiries) == sorted(v[0] for v in store.lot_expiries.values())
    for uid in {e.user_id for e in store.entries}:
        mine = [e for e in store.entries if e.user_id == uid]
        expired = {entry: lot for lot, (entry, u) in store.lot_expiries.items() if u == uid}
        credits = {e.id: e.amount for e in mine}
        for entry_id, lot_id in expired.items():
            amount = next(e.amount for e in mine if e.id == entry_id)
            assert 0 < -amount <= credits[lot_id], "a lot expired beyond its amount"
        book = replay(mine, history, expired)
        for lot in book.lots:
            assert 0 <= lot.consumed <= lot.amount, f"lot {lot.entry_id} over-consumed"


def _check_entitlement(store: Store, newest: Version) -> None:
    b = next(b for b in store.bookings.values() if b.record_id == newest.record_id)
    expected_status = BookingStatus.CANCELLED if newest.deleted else newest.status
    assert b.status is expected_status
    assert b.last_change_at == T0 + timedelta(minutes=newest.n)
    assert b.price == Decimal(newest.price)
    if b.status is BookingStatus.COMPLETED and b.user_id is not None:
        first = next((e for e in store.entries if e.booking_id == b.id and e.amount > 0), None)
        percent = first.percent if first else None
        expected = points_for(b.price, percent) if percent is not None else Decimal(0)
        assert b.bonus_points == expected
    elif b.status in REVERSING_STATUSES:
        assert b.bonus_points == 0


def test_ci_profile_runs_the_ledger_property_at_full_depth() -> None:
    from hypothesis import settings

    if "HYPOTHESIS_EXAMPLES" not in os.environ:
        assert settings.get_profile("ci").max_examples >= 2000
        assert 100 <= settings.get_profile("dev").max_examples < 2000
