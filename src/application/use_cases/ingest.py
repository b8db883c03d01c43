"""IngestRecord(s): store YClients records as bookings, link them, award points."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from src.application.conflicts import retry_on_conflict
from src.application.errors import WriteRejected
from src.application.ports.clock import Clock
from src.application.ports.uow import UnitOfWork, UnitOfWorkFactory
from src.application.switches import Switches
from src.application.use_cases.resolve import ResolveUser
from src.application.use_cases.visit_settlement import SettleVisit
from src.domain.booking import Booking, BookingKey, BookingStatus, Freshness
from src.domain.loyalty import REVERSING_STATUSES
from src.domain.quarantine import QuarantinedRecord
from src.domain.record import YClientsRecord
from src.domain.sync_run import SyncCounts
from src.domain.versions import supersedes

log = logging.getLogger(__name__)

_EMAIL = re.compile(r"\S+@\S+")

MAX_ATTEMPTS = 5


@dataclass(slots=True)
class _Planned:
    booking: Booking
    outcome: str  # created | updated | unchanged
    write: bool


class IngestRecords:
    """Upserts a batch of records (keyed by company + record id) in one transaction.

    Per batch: one lookup of stored bookings, one user lookup, one upsert that returns the
    written rows locked, then the award step on them. A record older than the stored booking
    (by YClients `last_change_date`) changes nothing. Conflicts with concurrent writers are retried.

    One bad record never fails its neighbours: when the database refuses a value
    (`WriteRejected`), the batch is written again in halves until the record is alone; it is
    then quarantined with its reason and counted in `errors`, and every other record commits.
    That costs a few more transactions only for a page that holds such a record.
    """

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        switches: Switches,
        award: SettleVisit | None = None,
    ) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.switches = switches
        self.award = award or SettleVisit()

    async def __call__(self, records: Sequence[YClientsRecord], source: str = "sync") -> SyncCounts:
        counts = await self._isolating(_freshest_per_key(records), source)
        counts.fetched = len(records)
        if counts.points_awarded:
            log.info("points_awarded", extra={"points": str(counts.points_awarded)})
        return counts

    async def write_page(self, uow: UnitOfWork, records: Sequence[YClientsRecord]) -> SyncCounts:
        """The page write inside the caller's unit of work (the caller commits; a
        `WriteRejected` or `ConcurrentUpdate` is the caller's to handle)."""
        return await self._ingest(uow, _freshest_per_key(records))

    async def quarantine(self, items: Sequence[QuarantinedRecord]) -> None:
        """Set records aside with their reasons (own transaction), one log line each: ids and
        the reason only, never the record's contents."""
        if not items:
            return
        async with self.uow_factory() as uow:
            await uow.quarantine.add_many(items)
            await uow.commit()
        for q in items:
            log.warning(
                "record_quarantined",
                extra={"company_id": q.company_id, "record_id": q.record_id,
                       "source": q.source, "field": q.field, "reason": q.reason},
            )  # fmt: skip

    async def _isolating(self, batch: list[YClientsRecord], source: str) -> SyncCounts:
        try:
            return await self._committed(batch)
        except WriteRejected as exc:
            if len(batch) == 1:
                r = batch[0]
                await self.quarantine([
                    QuarantinedRecord(r.company_id, r.record_id, source, str(exc), self.clock.now())
                ])  # fmt: skip
                return SyncCounts(errors=1)
            # Halves keep the key order, so concurrent writers still lock in the same order.
            middle = len(batch) // 2
            counts = await self._isolating(batch[:middle], source)
            counts.add(await self._isolating(batch[middle:], source))
            return counts

    async def _committed(self, batch: list[YClientsRecord]) -> SyncCounts:
        async def once() -> SyncCounts:
            async with self.uow_factory() as uow:
                counts = await self._ingest(uow, batch)
                await uow.commit()
            return counts

        return await retry_on_conflict(
            once, attempts=MAX_ATTEMPTS, log_as="ingest_retry", extra={"records": len(batch)}
        )

    async def one(self, record: YClientsRecord) -> SyncCounts:
        return await self([record])

    async def _ingest(self, uow: UnitOfWork, records: list[YClientsRecord]) -> SyncCounts:
        counts = SyncCounts()
        loyalty_on = self.switches.loyalty_enabled
        keys = [BookingKey(r.company_id, r.record_id) for r in records]
        stored = await uow.bookings.get_versions(keys)
        plan: list[_Planned] = []
        for key, record in zip(keys, records, strict=True):
            current = stored.get(key)
            if current is None:
                plan.append(_Planned(Booking.from_record(record), "created", True))
                continue
            freshness = current.freshness(record)
            if freshness is Freshness.NEWER:
                current.apply(record)
                plan.append(_Planned(current, "updated", True))
            else:
                plan.append(_Planned(current, "unchanged", False))

        unlinked = [p for p in plan if not p.booking.is_linked]
        if unlinked:
            resolved = await ResolveUser(
                uow.users, self.switches.verified_contacts_only, self.switches.phone_region
            ).many([p.booking for p in unlinked])
            newly_unmatched: list[dict[str, object]] = []
            for p in unlinked:
                r = resolved[p.booking.key]
                if r.user_id is not None:
                    p.booking.user_id, p.booking.match_method = r.user_id, r.method
                    p.booking.unmatched_reason = None
                    p.write = True
                    counts.linked += 1
                else:
                    if r.reason != p.booking.unmatched_reason:
                        p.booking.unmatched_reason = r.reason
                        p.write = True
                        newly_unmatched.append({
                            "company_id": p.booking.company_id,
                            "record_id": p.booking.record_id, "reason": r.reason,
                        })  # fmt: skip
                    counts.unmatched += 1
            if newly_unmatched:
                # Why bookings stay unmatched, once per booking and reason (the reason is also
                # stored on the booking): one line per batch, not one per booking per sync.
                # The stored reason names the email for admins; logs never carry one.
                for item in newly_unmatched:
                    item["reason"] = _EMAIL.sub("(email)", str(item["reason"]))
                log.info(
                    "bookings_unmatched",
                    extra={"count": len(newly_unmatched), "bookings": newly_unmatched},
                )

        await _with_stored_details(uow, plan)
        to_write = [p.booking for p in plan if p.write]
        to_award = [p for p in plan if _may_need_award(p, loyalty_on)]
        # The rows written come back as stored, locked: the award step decides on them
        # without reading them again.
        written = (
            await uow.bookings.upsert_and_lock(
                to_write, want={p.booking.key for p in to_award if p.write}
            )
            if to_write
            else {}
        )
        for p in plan:
            setattr(counts, p.outcome, getattr(counts, p.outcome) + 1)
        locked = [written[p.booking.key] for p in to_award if p.write]
        award_ids = [p.booking.id for p in to_award if not p.write and p.booking.id is not None]
        counts.points_awarded = await self.award(
            uow, award_ids, locked=locked, loyalty_enabled=loyalty_on, now=self.clock.now()
        )
        return counts


async def _with_stored_details(uow: UnitOfWork, plan: list[_Planned]) -> None:
    """An unchanged booking written again (it got linked, or its unmatched reason changed)
    is written with its stored data, which `get_versions` did not read in full: read it now
    (rare: one more query, only in a batch that has such bookings)."""
    partial = [p for p in plan if p.write and p.outcome == "unchanged"]
    if not partial:
        return
    full = await uow.bookings.get_many([p.booking.key for p in partial])
    for p in partial:
        stored = full.get(p.booking.key)
        if stored is None or stored.last_change_at != p.booking.last_change_at:
            # Changed since we read it: its writer linked it, or the next run will.
            p.write = False
            continue
        stored.user_id, stored.match_method = p.booking.user_id, p.booking.match_method
        stored.unmatched_reason = p.booking.unmatched_reason
        p.booking = stored


def _freshest_per_key(records: Sequence[YClientsRecord]) -> list[YClientsRecord]:
    """One record per key (the freshest; a deletion wins a tie), sorted by key so that
    concurrent batches lock rows in the same order."""
    best: dict[tuple[int, int], YClientsRecord] = {}
    for r in records:
        key = (r.company_id, r.record_id)
        seen = best.get(key)
        if supersedes(r, seen):
            best[key] = r
    return [best[k] for k in sorted(best)]


def _may_need_award(p: _Planned, loyalty_on: bool) -> bool:
    """Whether the award step must look at this booking (under lock).

    A booking this batch wrote is checked by its status alone: what we read before the write
    may already be out of date. An unchanged one is checked against what we read: whoever
    wrote its current state ran the award step then, unless loyalty was off at the time."""
    if not loyalty_on:
        return False
    b = p.booking
    if p.write:
        # Linked or not as we read it: a member's verification (or an admin) may have linked
        # it since; the upsert keeps that link and the award decides on the row as written.
        return b.status is BookingStatus.COMPLETED or b.status in REVERSING_STATUSES
    if b.status is BookingStatus.COMPLETED and b.is_linked:
        return b.bonus_basis != b.price
    return b.status in REVERSING_STATUSES and b.bonus_points != 0
