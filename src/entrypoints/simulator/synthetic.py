"""Deterministic synthetic records: the same seed gives the same salon, record for record."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from src.domain.client_codes import ALPHABET, CODE_LENGTH
from src.entrypoints.simulator import records
from src.entrypoints.simulator.records import MOSCOW, Staff

FEMALE = ["Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Екатерина",
          "Светлана", "Юлия", "Анастасия", "Дарья", "Ксения", "Алина", "Виктория",
          "Полина"]  # fmt: skip
MALE = ["Александр", "Дмитрий", "Сергей", "Андрей", "Алексей", "Максим", "Иван", "Михаил",
        "Николай", "Артём"]  # fmt: skip
SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов",
            "Михайлов", "Новиков", "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев",
            "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев"]  # fmt: skip
OPERATORS = ["903", "905", "906", "909", "910", "915", "916", "917", "925", "926", "929",
             "977", "985", "999"]  # fmt: skip
CATALOG = [
    ("Маникюр", Decimal(1800)),
    ("Маникюр с покрытием гель-лак", Decimal(2500)),
    ("Педикюр", Decimal(3000)),
    ("Стрижка женская", Decimal(2000)),
    ("Стрижка мужская", Decimal(1200)),
    ("Окрашивание", Decimal(5500)),
    ("Укладка", Decimal(1200)),
    ("Коррекция бровей", Decimal(900)),
    ("Наращивание ресниц", Decimal("2799.50")),
    ("Массаж спины", Decimal(3500)),
]
STAFF = [
    Staff(1204567, "Анна Смирнова", "Мастер маникюра"),
    Staff(1204588, "Ольга Петрова", "Парикмахер-стилист"),
    Staff(1204601, "Ирина Волкова", "Бровист"),
    Staff(1204612, "Сергей Лебедев", "Барбер"),
    Staff(1204630, "Дарья Козлова", "Массажист"),
]
NOTES = ["", "", "", "Первый визит", "Просьба не опаздывать", "Аллергия на латекс",
         "Перезвонить за день"]  # fmt: skip
_TRANSLIT = str.maketrans({
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh", "з": "z",
    "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r",
    "с": "s", "т": "t", "у": "u", "ф": "f", "х": "h", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "sch", "ы": "y", "ь": "", "ъ": "", "э": "e", "ю": "yu", "я": "ya",
})  # fmt: skip


# attendance: visits in the past are mostly attended, some no-shows; later ones wait.
_PAST, _PAST_CUM = [1, -1, 2, 0], [75, 82, 90, 100]
_FUTURE, _FUTURE_CUM = [0, 2], [60, 100]


def phone(rng: random.Random) -> str:
    """A Russian mobile number in one of the formats salons really type."""
    op = rng.choice(OPERATORS)
    a, b, c = f"{rng.randrange(1000):03d}", f"{rng.randrange(100):02d}", f"{rng.randrange(100):02d}"
    return rng.choice([
        f"+7 ({op}) {a}-{b}-{c}",
        f"8 {op} {a} {b} {c}",
        f"7{op}{a}{b}{c}",
        f"+7{op}{a}{b}{c}",
        f"8({op}){a}-{b}-{c}",
    ])  # fmt: skip


def code(rng: random.Random) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(CODE_LENGTH))


def _clients(rng: random.Random, n: int, first_id: int) -> list[tuple[dict[str, Any], str | None]]:
    """(client object, the code they write in comments or None); records share the objects
    (a change replaces a record's client object, never edits it)."""
    out = []
    for i in range(n):
        female = rng.random() < 0.75
        name = rng.choice(FEMALE if female else MALE)
        surname = rng.choice(SURNAMES) + ("а" if female else "")
        roll = rng.random()
        if roll < 0.5:
            login = f"{name.lower().translate(_TRANSLIT)}.{surname.lower().translate(_TRANSLIT)}"
            email: str | None = f"{login}{rng.randrange(100)}@example.com"
        else:
            email = "" if roll < 0.9 else None
        entry = records.client(first_id + i, name, surname, phone(rng), email)
        # About a third of the members have a code from the booking form in their comments.
        out.append((entry, code(rng) if rng.random() < 0.35 else None))
    return out


def _comment(rng: random.Random, client_code: str | None) -> str:
    note = rng.choice(NOTES)
    if client_code is None:
        return note
    line = rng.choice([
        f"Код клиента: {client_code}",
        f"Код клиента: {client_code}",
        f"Код клиента: {client_code}",
        f"код клиента {client_code}",
    ])  # fmt: skip
    return f"{note}\n{line}" if note else line


def _services(rng: random.Random) -> list[dict[str, Any]]:
    lines = []
    for title, price in rng.sample(CATALOG, rng.choice([1, 1, 1, 2, 2, 3])):
        cost = price
        if rng.random() < 0.15:  # a discount, as YClients shows it: first_cost → cost
            cost = (price * (100 - rng.choice([5, 10, 15])) / 100).quantize(Decimal("0.01"))
        lines.append(records.service(11223300 + CATALOG.index((title, price)), title, cost, price))
    return lines


def generate(
    *,
    company_id: int,
    count: int,
    first_id: int,
    seed: int = 0,
    start: date,
    days: int = 60,
    now: datetime,
    deleted_share: float = 0.03,
) -> Iterator[dict[str, Any]]:
    """`count` records dated from `start` over `days` days (09:00-20:30, Moscow time).

    Visits before `now` are mostly attended (attendance 1), some no-shows; later ones are
    waiting or confirmed. Creation and last change are never after `now`."""
    rng = random.Random(seed)
    clients = _clients(rng, max(1, count // 3), first_id=145_500_000 + seed * 1_000_000)
    now = now.astimezone(MOSCOW)
    for i in range(count):
        day = start + timedelta(days=rng.randrange(max(1, days)))
        slot = time(9 + rng.randrange(12), rng.choice([0, 30]))
        at = datetime.combine(day, slot, MOSCOW)
        if at < now:
            attendance = rng.choices(_PAST, cum_weights=_PAST_CUM)[0]
        else:
            attendance = rng.choices(_FUTURE, cum_weights=_FUTURE_CUM)[0]
        created = min(at - timedelta(minutes=rng.randrange(60, 14 * 24 * 60)), now)
        changed = min(created + timedelta(minutes=rng.randrange(0, 3 * 24 * 60)), now)
        if attendance in (1, -1):  # marked after the visit
            changed = max(changed, min(at + timedelta(hours=1), now))
        client, client_code = (None, None) if rng.random() < 0.01 else rng.choice(clients)
        yield records.record(
            record_id=first_id + i,
            company_id=company_id,
            at=at,
            services=_services(rng),
            client=client,
            comment=_comment(rng, client_code),
            attendance=attendance,
            created=created,
            changed=changed,
            staff=rng.choice(STAFF),
            deleted=rng.random() < deleted_share,
        )
