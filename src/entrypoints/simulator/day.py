"""A realistic day at a chain of salons, planned in advance, with the outcome it must have.

`plan_day` draws, per salon, bookings created at `per_hour` an hour of simulated time
(Poisson arrivals), each with its own life: rescheduled, confirmed, completed after its
visit, marked as a no-show ("cancelled" by the salon: attendance -1), deleted (YClients'
cancellation: the service's CANCELLED), completed and then deleted (a reversal), completed
and then repriced. Changes that would fall after the day's end do not happen, so some
bookings end the day pending. Every operation is a control-API call (`Op.method`,
`Op.path`, `Op.body`) due at `Op.at` simulated seconds after the start; a runner sleeps
`at / speedup` real seconds and sends it, in order.

Some clients are members registered in the service: the booking names them by the code in
its comment (`Код клиента: CODE`), by their email, or by their phone written another way;
the rest are strangers (contacts no member has). `DayPlan.expected` is every booking's final
state (attendance, deleted, price, the member it must be linked to), and
`DayPlan.expected_points` each member's balance: for each of their bookings that ends
completed and not deleted, `price / 100 × cashback %` rounded half up to 0.01.

Levels: the service pays the percent of the member's level, reached by completed spend
(README, `LOYALTY_LEVELS`). To keep the expectation exact without replaying the ledger's
order, every member stays at the base level: a member is given bookings only while the sum
of those bookings' highest prices stays below `spend_cap` (default 25,000, under the first
threshold above the base, 30,000 by default), so their completed spend can never reach it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from src.entrypoints.simulator.records import MOSCOW
from src.entrypoints.simulator.synthetic import CATALOG, FEMALE, SURNAMES

HOUR = 3600.0
CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Member:
    """A member registered in the service (before the day starts)."""

    user_id: int
    email: str
    phone: str  # as registered, e.g. `+7 916 000-01-02`
    code: str | None = None  # their client code, when the booking form gave them one


@dataclass(frozen=True, slots=True)
class Op:
    at: float  # simulated seconds after the start
    company_id: int
    record_id: int
    kind: str  # create | reschedule | confirm | complete | no_show | delete | reprice
    method: str  # POST | PATCH | DELETE (control API)
    path: str
    body: dict[str, Any] | None = None


@dataclass(slots=True)
class Booking:
    """A booking's expected final state."""

    company_id: int
    record_id: int
    member: int | None  # the user id it must be linked to
    attendance: int = 0
    deleted: bool = False
    price: Decimal = Decimal(0)

    @property
    def status(self) -> str:
        """The service's status for this state (src/adapters/yclients/mapping.py)."""
        if self.deleted:
            return "CANCELLED"
        return {1: "COMPLETED", 2: "CONFIRMED", -1: "NO_SHOW"}.get(self.attendance, "PENDING")


@dataclass
class DayPlan:
    start: datetime
    hours: float
    ops: list[Op] = field(default_factory=list)
    expected: dict[int, Booking] = field(default_factory=dict)  # record id → final state
    cashback_percent: Decimal = Decimal(3)

    def expected_points(self, members: list[Member]) -> dict[int, Decimal]:
        due = {m.user_id: Decimal("0.00") for m in members}
        for b in self.expected.values():
            if b.member is not None and b.status == "COMPLETED":
                due[b.member] += points(b.price, self.cashback_percent)
        return due


def points(price: Decimal, percent: Decimal) -> Decimal:
    return (price / 100 * percent).quantize(CENT, rounding=ROUND_HALF_UP)


# What happens to a booking, with weights (a share of bookings, roughly as a salon's day).
FATES = {
    "complete": 45,
    "confirm_complete": 15,
    "no_show": 8,
    "delete": 10,
    "complete_delete": 5,
    "complete_reprice": 5,
    "pending": 12,
}


def plan_day(
    salons: list[int],
    members: list[Member],
    *,
    hours: float,
    start: datetime,
    per_hour: float = 3.0,
    member_share: float = 0.5,
    first_record_id: int = 900_000_001,
    seed: int = 0,
    spend_cap: Decimal = Decimal(25_000),
    cashback_percent: Decimal = Decimal(3),
) -> DayPlan:
    """The whole day's operations, in time order, and the state they leave behind."""
    rng = random.Random(seed)
    start = start.astimezone(MOSCOW)
    plan = DayPlan(start=start, hours=hours, cashback_percent=cashback_percent)
    budget = {m.user_id: spend_cap for m in members}
    end = hours * HOUR
    next_id = first_record_id
    stranger = 0
    fates, weights = list(FATES), list(FATES.values())
    for company_id in salons:
        t = rng.expovariate(per_hour / HOUR)
        while t < end:
            rid, next_id = next_id, next_id + 1
            lines = [rng.choice(CATALOG) for _ in range(rng.choice((1, 1, 2)))]
            price = sum((p for _, p in lines), Decimal(0))
            fate = rng.choices(fates, weights)[0]
            reprice = (price * Decimal("1.1")).quantize(CENT) if "reprice" in fate else price
            member = _pick_member(rng, members, budget, max(price, reprice), member_share)
            client, comment = _client(rng, member, stranger)
            stranger += 1
            booking = Booking(company_id, rid, member.user_id if member else None, price=price)
            plan.expected[rid] = booking
            visit = t + rng.uniform(0.1, 1.5) * HOUR  # booked a little ahead
            ops: list[tuple[float, str, str, str, dict[str, Any] | None]] = [
                (t, "create", "POST", "/records", {
                    "id": rid, "company_id": company_id, "client": client, "comment": comment,
                    "services": [{"title": n, "cost": str(p)} for n, p in lines],
                    "datetime": _at(start, visit),
                }),
            ]  # fmt: skip
            if rng.random() < 0.15:  # rescheduled before the visit
                moved = visit + rng.choice((-1, 1)) * rng.uniform(0.25, 1.0) * HOUR
                visit = max(moved, t + 0.1 * HOUR)
                when = rng.uniform(t, t + (visit - t) / 2)
                ops.append((when, "reschedule", "PATCH", "", {"datetime": _at(start, visit)}))
            done = visit + rng.uniform(0.1, 0.6) * HOUR  # marked after the visit
            if fate.startswith("confirm"):
                ops.append((rng.uniform(t, visit), "confirm", "PATCH", "", {"attendance": 2}))
            if "complete" in fate:
                ops.append((done, "complete", "PATCH", "", {"attendance": 1}))
                later = done + rng.uniform(0.05, 0.5) * HOUR
                if fate == "complete_delete":
                    ops.append((later, "delete", "DELETE", "", None))
                elif fate == "complete_reprice":
                    ops.append((later, "reprice", "PATCH", "", {
                        "services": [{"title": "Итого", "cost": str(reprice)}]}))  # fmt: skip
            elif fate == "no_show":
                ops.append((done, "no_show", "PATCH", "", {"attendance": -1}))
            elif fate == "delete":
                ops.append((rng.uniform(t, visit), "delete", "DELETE", "", None))
            for at, kind, method, path, body in sorted(ops, key=lambda o: o[0]):
                if at >= end:
                    break  # the day is over: this and later changes never happen
                plan.ops.append(Op(
                    at, company_id, rid, kind, method,
                    path or f"/records/{company_id}/{rid}", body,
                ))  # fmt: skip
                _apply(booking, kind, body)
            t += rng.expovariate(per_hour / HOUR)
    plan.ops.sort(key=lambda o: (o.at, o.record_id))
    return plan


def _apply(booking: Booking, kind: str, body: dict[str, Any] | None) -> None:
    if kind == "delete":
        booking.deleted = True
    elif body and "attendance" in body:
        booking.attendance = body["attendance"]
    elif body and "services" in body:
        booking.price = sum((Decimal(s["cost"]) for s in body["services"]), Decimal(0))


def _pick_member(
    rng: random.Random,
    members: list[Member],
    budget: dict[int, Decimal],
    price: Decimal,
    share: float,
) -> Member | None:
    if not members or rng.random() >= share:
        return None
    for _ in range(8):  # a few tries; a member whose budget is spent gets no more bookings
        member = rng.choice(members)
        if budget[member.user_id] >= price:
            budget[member.user_id] -= price
            return member
    return None


def _client(
    rng: random.Random, member: Member | None, n: int
) -> tuple[dict[str, Any], str]:  # fmt: skip
    """The client object and comment a booking carries."""
    name = rng.choice(FEMALE)
    surname = rng.choice(SURNAMES) + "а"
    if member is None:  # a stranger: contacts no member registered (+7 999 8.., .org)
        phone = f"+7 999 8{n // 10000 % 100:02d}-{n // 100 % 100:02d}-{n % 100:02d}"
        email = rng.choice(("", f"guest{n}@example.org"))
        return {"name": name, "surname": surname, "phone": phone, "email": email}, ""
    how = rng.choice(("code", "email", "phone") if member.code else ("email", "phone"))
    if how == "code":
        note = rng.choice(("", "Первый визит\n"))
        other = f"+7 999 7{n // 10000 % 100:02d}-{n // 100 % 100:02d}-{n % 100:02d}"
        client = {"name": name, "surname": surname, "phone": other, "email": ""}
        return client, f"{note}Код клиента: {member.code}"
    if how == "email":
        return {"name": name, "surname": surname, "phone": "", "email": member.email.upper()}, ""
    digits = "".join(c for c in member.phone if c.isdigit())[-10:]
    phone = f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    return {"name": name, "surname": surname, "phone": phone, "email": ""}, ""


def _at(start: datetime, seconds: float) -> str:
    return (start + timedelta(seconds=round(seconds))).isoformat()
