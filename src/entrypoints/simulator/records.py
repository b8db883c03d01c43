"""YClients-shaped record dicts, as the API and webhooks send them (cf. the fixtures)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

MOSCOW = timezone(timedelta(hours=3), "MSK")


@dataclass(frozen=True, slots=True)
class Staff:
    id: int
    name: str
    specialization: str


DEFAULT_STAFF = Staff(1204567, "Анна Смирнова", "Мастер маникюра")


def iso_offset(moment: datetime) -> str:
    """`2026-11-20T11:00:00+03:00`: the format of `datetime`."""
    return moment.replace(microsecond=0).isoformat()


def compact_offset(moment: datetime) -> str:
    """`2026-11-20T12:41:10+0300`: the format of `create_date` / `last_change_date`."""
    text = iso_offset(moment)  # isoformat is several times faster than strftime
    return text[:-3] + text[-2:]


def local_date(moment: datetime) -> str:
    """`2026-11-20 11:00:00`: the format of `date` (local, no offset)."""
    return moment.replace(microsecond=0).isoformat(sep=" ")[:19]


def service(
    service_id: int, title: str, cost: Decimal, first_cost: Decimal | None = None
) -> dict[str, Any]:
    first = cost if first_cost is None else first_cost
    discount = 0 if not first else int(((first - cost) / first * 100).to_integral_value())
    return {
        "id": service_id,
        "title": title,
        "cost": cost,
        "cost_to_pay": cost,
        "manual_cost": cost,
        "cost_per_unit": cost,
        "discount": discount,
        "first_cost": first,
        "amount": 1,
    }


def client(
    client_id: int, name: str, surname: str, phone: str, email: str | None
) -> dict[str, Any]:
    return {
        "id": client_id,
        "name": name,
        "surname": surname,
        "patronymic": "",
        "display_name": f"{name} {surname}".strip(),
        "comment": "",
        "phone": phone,
        "card": "",
        "email": email,
        "success_visits_count": 0,
        "fail_visits_count": 0,
        "discount": 0,
        "custom_fields": [],
        "sex": 0,
        "birthday": "",
        "client_tags": [],
        "is_new": False,
    }


@functools.cache
def _staff_object(staff: Staff) -> dict[str, Any]:
    # Shared by every record of this employee: a change replaces it, never edits it.
    return {
        "id": staff.id,
        "api_id": None,
        "name": staff.name,
        "specialization": staff.specialization,
        "position": {"id": 3401, "title": "Мастер"},
        "avatar": "https://assets.yclients.com/masters/sm/a/ab/ab12cd34ef.jpg",
        "avatar_big": "https://assets.yclients.com/masters/origin/a/ab/ab12cd34ef.jpg",
        "rating": 5,
        "votes_count": 12,
    }


def record(
    *,
    record_id: int,
    company_id: int,
    at: datetime,
    services: list[dict[str, Any]],
    client: dict[str, Any] | None,
    comment: str,
    attendance: int,
    created: datetime,
    changed: datetime,
    staff: Staff = DEFAULT_STAFF,
    deleted: bool = False,
) -> dict[str, Any]:
    """A full record as `GET /records` returns it; `at`, `created`, `changed` are aware.
    `datetime` keeps the offset `at` has (the salon's clock: salons are in different zones);
    `create_date` and `last_change_date` are written in Moscow time."""
    length = 3600 * max(1, len(services))
    return {
        "id": record_id,
        "company_id": company_id,
        "staff_id": staff.id,
        "services": services,
        "goods_transactions": [],
        "staff": _staff_object(staff),
        "client": client,
        "comer": None,
        "clients_count": 1,
        "date": local_date(at),
        "datetime": iso_offset(at),
        "create_date": compact_offset(created.astimezone(MOSCOW)),
        "comment": comment,
        "online": True,
        "visit_attendance": attendance,
        "attendance": attendance,
        "confirmed": 1 if attendance in (1, 2) else 0,
        "seance_length": length,
        "length": length,
        "sms_before": 0,
        "sms_now": 0,
        "sms_now_text": "",
        "email_now": 0,
        "notified": 0,
        "master_request": 1,
        "api_id": "",
        "from_url": "",
        "review_requested": 0,
        "visit_id": str(record_id - 89_000_000),
        "created_user_id": 2310977,
        "deleted": deleted,
        "paid_full": 1 if attendance == 1 else 0,
        "payment_status": 1 if attendance == 1 else 0,
        "prepaid": False,
        "prepaid_confirmed": False,
        "is_update_blocked": False,
        "last_change_date": compact_offset(changed.astimezone(MOSCOW)),
        "custom_color": "",
        "custom_font_color": "",
        "record_labels": [],
        "activity_id": 0,
        "custom_fields": {},
        "documents": [],
        "sms_remain_hours": 2,
        "email_remain_hours": 0,
        "bookform_id": 0,
        "record_from": "",
        "is_mobile": 0,
        "short_link": "",
    }
