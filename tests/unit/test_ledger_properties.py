"""Property: whatever order, duplication or switching, the ledger matches the bookings.

After every step: each booking's ledger sum equals its granted points and, for bookings just
ingested with loyalty on, the entitlement of its newest version; each balance equals the sum
of that member's ledger; no ledger step is written twice.
"""

from __future__ import annotations

import asyncio
import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from src.application.ports import NewUser
from src.application.switches import Switches
from src.application.use_cases.ingest import IngestRecords
from src.domain.booking import BookingStatus
from src.domain.loyalty import REVERSING_STATUSES, points_for
from src.domain.record import ServiceLine, YClientsRecord
from tests.fakes import FakeClock, FakeUnitOfWorkFactory, Store

T0 = datetime(2026, 11, 1, tzinfo=UTC)
CODES = ["AAAA2222", "BBBB3333"]


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
    ),
    min_size=1,
    max_size=12,
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
def test_ledger_always_matches_bookings(program: list) -> None:  # type: ignore[type-arg]
    asyncio.run(_run(program))


async def _run(program: list) -> None:  # type: ignore[type-arg]
    store = Store()
    factory = FakeUnitOfWorkFactory(store)
    switches = Switches()
    ingest = IngestRecords(factory, FakeClock(), switches)
    async with factory() as uow:
        for i, code in enumerate(CODES):
            await uow.users.add(NewUser(email=f"u{i}@x.io", password_hash="x", unique_code=code))
        await uow.commit()
    # Same (record, n, deleted) must be the same version: make generated data consistent.
    canonical: dict[tuple[int, int, bool], Version] = {}
    seen: dict[int, list[Version]] = defaultdict(list)

    for action, arg in program:
        entries_before = len(store.entries)
        if action == "loyalty":
            switches.loyalty_enabled = arg
            continue
        batch = [canonical.setdefault((v.record_id, v.n, v.deleted), v) for v in arg]
        for v in batch:
            seen[v.record_id].append(v)
        await ingest([v.record() for v in batch])
        if not switches.loyalty_enabled:
            assert len(store.entries) == entries_before, "loyalty off must write nothing"
        _check_global(store)
        if switches.loyalty_enabled:
            for rid in {v.record_id for v in batch}:
                _check_entitlement(store, _newest(seen[rid]))


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
