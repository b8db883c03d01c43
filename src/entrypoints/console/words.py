"""Staff's words for the codes the service stores: statuses, states, kinds, roles, triggers,
and sentences for ledger reasons and unmatched reasons, in the console's language.

Templates apply them as filters (`{{ b.status | word }}`, `{{ e | entry(context) }}`,
`{{ b.unmatched_reason | misses }}`); the API keeps its codes and English reasons."""

from __future__ import annotations

import enum
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from src.application.use_cases.ledger_view import LedgerContext
from src.domain.booking import Booking
from src.domain.inbox import EventState
from src.domain.loyalty import EntryKind, LedgerEntry
from src.domain.redemption import RedemptionState, ReleaseCause
from src.domain.status import BookingStatus
from src.domain.sync_run import RunStatus
from src.domain.unmatched import Miss, Tried, parse
from src.domain.user import Role
from src.entrypoints.console.i18n import Words

Pair = tuple[str, str]  # (Russian, English)

# A code's words by the enum it belongs to (the same value may mean different things:
# a PENDING booking waits for its visit, a PENDING webhook for processing).
CODES: dict[type[enum.Enum] | str, dict[str, Pair]] = {
    BookingStatus: {
        "PENDING": ("Ожидает", "Pending"),
        "CONFIRMED": ("Подтверждена", "Confirmed"),
        "COMPLETED": ("Клиент пришёл", "Client came"),
        "CANCELLED": ("Отменена", "Cancelled"),
        "NO_SHOW": ("Не пришёл", "No-show"),
    },
    RedemptionState: {
        "HELD": ("В резерве", "On hold"),
        "CAPTURED": ("Списаны при оплате", "Spent at payment"),
        "RELEASED": ("Возвращены", "Given back"),
        "REVERSED": ("Возвращены после отмены визита", "Given back: visit cancelled"),
        "REDEEMED": ("Списаны сразу", "Spent at once"),
    },
    ReleaseCause: {  # who gave a hold's points back
        "STAFF": ("Резерв отменён администратором", "Cancelled by staff"),
        "VISIT": ("Визит отменён", "Visit cancelled"),
        "MEMBER": ("Клиент вернул баллы себе", "Released by the member"),
    },
    EntryKind: {
        "ACCRUAL": ("Начисление", "Accrual"),
        "REVERSAL": ("Возврат", "Reversal"),
        "ADJUSTMENT": ("Корректировка", "Adjustment"),
        "HOLD": ("Резерв", "Hold"),
        "RELEASE": ("Снятие резерва", "Hold released"),
        "REDEMPTION": ("Списание", "Redemption"),
        "EXPIRY": ("Сгорание", "Expiry"),
    },
    RunStatus: {
        "QUEUED": ("В очереди", "Queued"),
        "RUNNING": ("Идёт", "Running"),
        "SUCCEEDED": ("Готово", "Done"),
        "FAILED": ("Ошибка", "Failed"),
        "SKIPPED": ("Пропущена", "Skipped"),
    },
    EventState: {
        "PENDING": ("Ждёт обработки", "Waiting"),
        "PROCESSED": ("Обработан", "Processed"),
        "IGNORED": ("Не нужен", "Not needed"),
        "DEAD": ("Не обработан", "Failed"),
        "HELD": ("Отложен: салон на паузе или не подключён", "Held: salon paused or unknown"),
    },
    Role: {
        "user": ("Клиент", "Client"),
        "admin": ("Администратор", "Administrator"),
    },
    "sync_kind": {  # what a sync run read
        "full": ("полная", "full sweep"),
        "incremental": ("только изменения", "changes only"),
    },
    "trigger": {  # who started a sync run
        "schedule": ("по расписанию", "scheduled"),
        "manual": ("вручную", "by hand"),
        "cli": ("из командной строки", "from the command line"),
    },
    "action": {  # a webhook's event_status
        "create": ("создана", "created"),
        "update": ("изменена", "changed"),
        "delete": ("удалена", "deleted"),
    },
    "resource": {
        "record": ("Запись", "Booking"),
        "client": ("Клиент", "Client"),
        "finances_operation": ("Оплата", "Payment"),
    },
}


def word(words: Words, value: object, group: str | None = None) -> str:
    """Staff's word for a code: an enum member by its class, a plain string by `group`
    (or any table holding it). A code no table knows is shown as it is."""
    if value is None:
        return ""
    table = CODES.get(type(value)) if isinstance(value, enum.Enum) else None
    if table is None and group is not None:
        table = CODES.get(group)
    key = value.value if isinstance(value, enum.Enum) else str(value)
    if table is None:
        table = next((t for t in CODES.values() if key in t), {})
    pair = table.get(key)
    return pair[words.index] if pair else key


def rub(words: Words, value: Decimal | None) -> str:
    """Money: `8 000,00 ₽` / `8,000.00 ₽`."""
    return "" if value is None else f"{words.money(value)}\u00a0₽"


def percent(words: Words, value: Decimal | None) -> str:
    """`3 %` / `3.5 %`: a cashback percent without trailing zeros."""
    if value is None:
        return ""
    text = f"{value.normalize():f}"
    return (text.replace(".", ",") if words.language == "ru" else text) + "\u00a0%"


# -- ledger reasons -------------------------------------------------------------------------


# key → (Russian, English), filled with .format(**values).
SENTENCES: dict[str, Pair] = {
    "visit": ("визит {day}", "visit on {day}"),
    "visit_services": ("визит {day} ({services})", "visit on {day} ({services})"),
    "accrual": ("За {visit}: {price} × {percent}", "For the {visit}: {price} at {percent}"),
    "repriced": (
        "Цена изменилась, {visit}: {price} × {percent}",
        "Price changed, {visit}: {price} at {percent}",
    ),
    "status_after": (
        "{status} после начисления, {visit}: баллы сняты",
        "{status} after the points were granted, {visit}: points taken back",
    ),
    "relinked": (
        "{visit} привязан к другому клиенту: баллы сняты",
        "the {visit} was linked to another member: points taken back",
    ),
    "hold": ("Резерв на {visit}", "Held for the {visit}"),
    "release": ("Резерв на {visit} возвращён", "Hold for the {visit} given back"),
    "release_staff": (
        "Резерв на {visit} отменён администратором: {reason}",
        "Hold for the {visit} cancelled by staff: {reason}",
    ),
    "redemption": ("Списание: {reason}", "Spent: {reason}"),
    "redemption_visit": ("Списание за {visit}: {reason}", "Spent for the {visit}: {reason}"),
    "expiry": ("Сгорели баллы, начисленные {day}", "Points credited on {day} expired"),
    "expiry_plain": ("Сгорели неиспользованные баллы", "Unspent points expired"),
    "unknown_visit": ("визит", "a visit"),
    # unmatched reasons
    "miss_code": ("код клиента {shown} не найден", "client code {shown} belongs to nobody"),
    "miss_email": ("почта {shown} не найдена у клиентов", "no member has the email {shown}"),
    "miss_phone": ("телефон {shown} не найден у клиентов", "no member has the phone {shown}"),
    "shared_email": (
        "почта {shown} есть у нескольких клиентов ({holders})",
        "the email {shown} is shared by {holders} members",
    ),
    "shared_phone": (
        "телефон {shown} есть у нескольких клиентов ({holders})",
        "the phone {shown} is shared by {holders} members",
    ),
    "unreadable_phone": (
        "телефон клиента не похож на номер",
        "the client's phone is not a phone number",
    ),
    "no_contacts": (
        "в записи нет ни кода клиента, ни почты, ни телефона",
        "the booking has no client code, email or phone",
    ),
}


# A hold staff cancelled (staff_holds.CancelHold): their reason, as they typed it.
_CANCELLED = re.compile(r"release: cancelled by staff: (.{1,500}?); ")


def say(words: Words, key: str, **values: object) -> str:
    return SENTENCES[key][words.index].format(**values)


def _visit(words: Words, booking: Booking | None) -> str:
    if booking is None:
        return say(words, "unknown_visit")
    day = words.day(booking.local_appointment_at.date())
    titles = ", ".join(title for title, _ in booking.services)
    if titles:
        return say(words, "visit_services", day=day, services=titles)
    return say(words, "visit", day=day)


_PRICED = re.compile(r"(visit completed|price changed to):? ([0-9]{1,12}(?:\.[0-9]{1,2})?) at ")
_STATUS_AFTER = re.compile(r"([a-z_]{1,16}) after points were granted")
_EXPIRED = re.compile(r"points credited ([0-9]{4}-[0-9]{2}-[0-9]{2}) expired")


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def describe_entry(words: Words, entry: LedgerEntry, context: LedgerContext) -> str:
    """A ledger entry's reason in staff's words, from the entry, the booking or redemption it
    points at, and (for what the entry alone does not say) its stored English reason."""
    reason = (entry.reason or "")[:500]
    if entry.kind is EntryKind.ADJUSTMENT:
        return reason  # typed by staff: their own words
    if entry.kind is EntryKind.EXPIRY:
        found = _EXPIRED.match(reason)
        if found:
            return say(words, "expiry", day=words.day(date.fromisoformat(found.group(1))))
        return say(words, "expiry_plain")
    if entry.redemption_id is not None:
        redemption = context.redemptions.get(entry.redemption_id)
        booking = None
        if redemption is not None and redemption.booking_id is not None:
            booking = context.bookings.get(redemption.booking_id)
        visit = _visit(words, booking)
        if entry.kind is EntryKind.HOLD:
            return say(words, "hold", visit=visit)
        if entry.kind is EntryKind.RELEASE:
            cancelled = _CANCELLED.match(reason)
            if cancelled:
                return say(words, "release_staff", visit=visit, reason=cancelled.group(1))
            return say(words, "release", visit=visit)
        typed = redemption.reason if redemption is not None else reason
        if booking is not None:
            return say(words, "redemption_visit", visit=visit, reason=typed)
        return say(words, "redemption", reason=typed)
    booking = context.bookings.get(entry.booking_id) if entry.booking_id is not None else None
    visit = _visit(words, booking)
    if reason.startswith("booking ") and "relinked" in reason:
        return say(words, "relinked", visit=visit)
    status = _STATUS_AFTER.match(reason)
    if status and status.group(1).upper() in BookingStatus.__members__:
        status_word = word(words, BookingStatus(status.group(1).upper()))
        return say(words, "status_after", status=status_word, visit=visit)
    priced = _PRICED.match(reason)
    price = _decimal(priced.group(2)) if priced else None
    if price is None and booking is not None:
        price = booking.price
    values = {"visit": visit, "price": rub(words, price), "percent": percent(words, entry.percent)}
    if priced and priced.group(1) == "price changed to":
        return say(words, "repriced", **values)
    return say(words, "accrual", **values)


def describe_misses(words: Words, reason: str | None) -> list[str]:
    """An unmatched booking's reason, one phrase per thing tried."""
    return [_miss(words, m) for m in parse(reason)]


def _miss(words: Words, miss: Miss) -> str:
    if miss.tried is Tried.CODE:
        return say(words, "miss_code", shown=miss.shown)
    if miss.tried in (Tried.EMAIL, Tried.PHONE):
        key = f"{'shared' if miss.holders else 'miss'}_{miss.tried.value}"
        return say(words, key, shown=miss.shown, holders=miss.holders)
    if miss.tried is Tried.UNREADABLE_PHONE:
        return say(words, "unreadable_phone")
    if miss.tried is Tried.NO_CONTACTS:
        return say(words, "no_contacts")
    return miss.shown
