"""The simulator's records: YClients-shaped dicts kept in visit order, pages served as bytes."""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import msgspec

from src.entrypoints.simulator.records import MOSCOW, compact_offset, iso_offset, local_date

# Decimals (costs) go out as JSON numbers with their exact digits, like YClients' `2500.0`.
encoder = msgspec.json.Encoder(decimal_format="number")

FIRST_ID = 700_000_001


class RecordStore:
    """Records per company, ordered by visit time then id (the order pages are cut in).

    Each record's JSON is cached, and so is the id list of each query until the next
    change, so serving a page of 200 out of 100k records costs a slice and a join."""

    def __init__(self) -> None:
        self._records: dict[int, dict[str, Any]] = {}
        self._json: dict[int, bytes] = {}
        self._order: dict[int, list[int]] = {}  # company → ids in visit order
        self._dates: dict[int, list[str]] = {}  # company → local date (YYYY-MM-DD), same order
        self._dirty: set[int] = set()
        self._queries: dict[tuple[Any, ...], list[int]] = {}
        self._ids = itertools.count(FIRST_ID)

    def __len__(self) -> int:
        return len(self._records)

    def records(self) -> Iterable[dict[str, Any]]:
        return self._records.values()

    def next_id(self) -> int:
        return next(self._ids)

    def reserve_ids(self, n: int) -> int:
        """The first of `n` consecutive fresh ids."""
        first = next(self._ids)
        self._ids = itertools.count(first + n)
        return first

    def get(self, company_id: int, record_id: int) -> dict[str, Any] | None:
        rec = self._records.get(record_id)
        return rec if rec is not None and rec["company_id"] == company_id else None

    def put(self, record: dict[str, Any]) -> None:
        self.put_many((record,))

    def put_many(self, records: Iterable[dict[str, Any]]) -> int:
        n = 0
        for record in records:
            rid, cid = record["id"], record["company_id"]
            if rid not in self._records:
                self._order.setdefault(cid, []).append(rid)
            self._records[rid] = record
            self._json.pop(rid, None)
            self._dirty.add(cid)
            n += 1
        self._queries.clear()
        return n

    def query(
        self,
        company_id: int,
        start: str | None,
        end: str | None,
        changed_after: str | None,
        with_deleted: bool,
        changed_before: str | None = None,
    ) -> list[int]:
        """Ids of the company's records whose local visit date is in [start, end], changed at
        or after `changed_after` and at or before `changed_before` (local
        `YYYY-MM-DDTHH:MM:SS`), deleted ones only if asked.

        The contract says only "created or changed since / before" for `changed_after` /
        `changed_before`; whether the bounds are inclusive, whether they combine with the
        visit-date filters (here: yes, both apply), and whether a deletion counts as a change
        are [INFERRED]. Here a deletion bumps `last_change_date` like any change, and a
        deleted record comes only with `with_deleted=1` (incremental or not), so an
        incremental reader must ask for deleted records to see deletions."""
        key = (company_id, start, end, changed_after, with_deleted, changed_before)
        cached = self._queries.get(key)
        if cached is not None:
            return cached
        order, dates = self._sorted(company_id)
        lo = bisect.bisect_left(dates, start) if start else 0
        hi = bisect.bisect_right(dates, end) if end else len(order)
        ids = order[lo:hi]
        if changed_after or changed_before or not with_deleted:
            recs = self._records
            ids = [
                i for i in ids
                if (with_deleted or not recs[i]["deleted"])
                and (not changed_after or recs[i]["last_change_date"][:19] >= changed_after)
                and (not changed_before or recs[i]["last_change_date"][:19] <= changed_before)
            ]  # fmt: skip
        self._queries[key] = ids
        return ids

    def page_body(self, ids: list[int], page: int, total: int) -> bytes:
        """The `GET /records` body for these ids."""
        cache, recs = self._json, self._records
        parts = []
        for rid in ids:
            raw = cache.get(rid)
            if raw is None:
                raw = cache[rid] = encoder.encode(recs[rid])
            parts.append(raw)
        return b"".join((
            b'{"success":true,"data":[', b",".join(parts),
            b'],"meta":{"page":%d,"total_count":%d}}' % (page, total),
        ))  # fmt: skip

    def record_json(self, record_id: int) -> bytes:
        raw = self._json.get(record_id)
        if raw is None:
            raw = self._json[record_id] = encoder.encode(self._records[record_id])
        return raw

    def reschedule_edge(self, company_id: int, *, to_front: bool) -> dict[str, Any] | None:
        """Page drift: move the company's last record to a minute before its first
        (`to_front`), or the first to a minute after the last; bumps its last change."""
        order, _ = self._sorted(company_id)
        if len(order) < 2:
            return None
        first, last = self._records[order[0]], self._records[order[-1]]
        mover, anchor = (last, first) if to_front else (first, last)
        shift = timedelta(minutes=-1 if to_front else 1)
        at = datetime.fromisoformat(anchor["datetime"]) + shift
        moved = dict(mover, datetime=iso_offset(at), date=local_date(at))
        moved["last_change_date"] = bump(mover["last_change_date"])
        self.put(moved)
        return moved

    def _sorted(self, company_id: int) -> tuple[list[int], list[str]]:
        order = self._order.setdefault(company_id, [])
        if company_id in self._dirty or company_id not in self._dates:
            recs = self._records
            order.sort(key=lambda i: (recs[i]["date"], i))
            self._dates[company_id] = [recs[i]["date"][:10] for i in order]
            self._dirty.discard(company_id)
        return order, self._dates[company_id]


def bump(previous: str | None, now: datetime | None = None) -> str:
    """A new `last_change_date`: now, but always after the previous one, which YClients
    writes to the second; two changes in one second must still be ordered."""
    moment = (now or datetime.now(MOSCOW)).astimezone(MOSCOW).replace(microsecond=0)
    if previous:
        before = datetime.strptime(previous, "%Y-%m-%dT%H:%M:%S%z")
        if moment <= before:
            moment = before + timedelta(seconds=1)
    return compact_offset(moment)
