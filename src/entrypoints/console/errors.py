"""Errors in the console: next to the field they are about, or as a console page with a way
back; always in the console's language, never the API's JSON.

`field_error` turns a use case's "field: message" into (field, staff's words); `error_page` is
the console router's one exception handler (and, for addresses no route serves, the app's
404/405 handler under /admin)."""

from __future__ import annotations

import logging
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Template

from src.application.errors import AppError, GatewayError
from src.domain.status import BookingStatus
from src.entrypoints.console.htmx import is_htmx
from src.entrypoints.console.i18n import Words
from src.entrypoints.console.nav import NAV
from src.entrypoints.console.words import word
from src.entrypoints.web.errors import app_error_status

log = logging.getLogger(__name__)

Pair = tuple[str, str]

# An English message of the use cases (or the console's own checks) → staff's words.
# Patterns are anchored and linear; groups fill the sentence.
FIELD_MESSAGES: list[tuple[re.Pattern[str], Pair]] = [
    (re.compile(r"not a number"), ("Введите число, например 150 или 12,50", "Type a number, e.g. 150 or 12.50")),  # noqa: E501
    (re.compile(r"must be positive"), ("Должно быть больше нуля", "Must be more than zero")),
    (re.compile(r"must not be zero"), ("Не может быть нулём", "Must not be zero")),
    (re.compile(r"must not be empty"), ("Заполните это поле", "Fill this in")),
    (re.compile(r"must be at most ([0-9.]+) either way"), ("Не больше {0} в плюс или в минус", "At most {0} either way")),  # noqa: E501
    (re.compile(r"more than the balance \(([-0-9.]+)\)"), ("Больше, чем на балансе ({0})", "More than the balance ({0})")),  # noqa: E501
    (re.compile(r"nothing to spend \(balance is ([-0-9.]+)\)"), ("Списывать нечего: на балансе {0}", "Nothing to spend: the balance is {0}")),  # noqa: E501
    (re.compile(r"more than ([0-9.]+)% of the booking's price \(([0-9.]+)\)"), ("Больше {0} % стоимости визита ({1})", "More than {0} % of the visit's price ({1})")),  # noqa: E501
    (re.compile(r"the booking is ([A-Z_]+), not upcoming"), ("Визит уже не предстоит: {status}", "The visit is not upcoming any more: {status}")),  # noqa: E501
    (re.compile(r"already has an active redemption"), ("На этот визит уже есть резерв", "This visit already has a hold")),  # noqa: E501
    (re.compile(r"(no such booking|booking \d+( of user \d+)? does not exist)"), ("У клиента нет такого визита", "The member has no such visit")),  # noqa: E501
    (re.compile(r"integration is disabled"), ("Синхронизация с YClients выключена (YCLIENTS_ENABLED)", "YClients sync is switched off (YCLIENTS_ENABLED)")),  # noqa: E501
    (re.compile(r"is [A-Z]+, not HELD"), ("Резерв уже закрыт: баллы списаны или возвращены", "The hold is closed already: captured or given back")),  # noqa: E501
    (re.compile(r"balance would exceed"), ("Баланс стал бы слишком большим", "The balance would be too large")),  # noqa: E501
    (re.compile(r"make the balance negative \(balance is ([-0-9.]+)\)"), ("Баланс стал бы меньше нуля (сейчас {0})", "The balance would drop below zero (it is {0})")),  # noqa: E501
]  # fmt: skip
FALLBACK: Pair = ("Значение не подходит", "This value does not fit")
# The form fields a use case's message may name → the console form's field.
FIELD_ALIASES = {"booking": "booking_id"}


def field_error(words: Words, message: str) -> tuple[str | None, str]:
    """(the field the message is about or None, what to say) for "field: message"."""
    name, _, detail = message.partition(": ")
    field: str | None = name
    if not detail or not re.fullmatch(r"[a-z_]{1,32}", name):
        field, detail = None, message
    for pattern, pair in FIELD_MESSAGES:
        found = pattern.search(detail[:500])
        if found:
            status = ""
            if found.groups() and (found.group(1) or "") in BookingStatus.__members__:
                status = word(words, BookingStatus(found.group(1)))
            values = [words.money(_decimal(g)) if _is_number(g) else g for g in found.groups()]
            text = pair[words.index].format(*values, status=status)
            if field is None and "booking" in detail:
                field = "booking_id"
            return FIELD_ALIASES.get(field or "", field), text
    return FIELD_ALIASES.get(field or "", field), FALLBACK[words.index]


def _is_number(text: str | None) -> bool:
    return bool(text) and re.fullmatch(r"-?[0-9]{1,15}(\.[0-9]{1,4})?", text or "") is not None


def _decimal(text: str) -> Decimal:
    return Decimal(text)


# -- error pages ----------------------------------------------------------------------------

PAGES: dict[int, tuple[Pair, Pair]] = {  # status → (title, what to do)
    400: (("Неверный запрос", "Bad request"), ("Проверьте, что введено.", "Check what was typed.")),
    404: (("Страница не найдена", "Page not found"), ("Такого адреса в панели нет.", "The console has no such address.")),  # noqa: E501
    405: (("Так нельзя", "Not allowed"), ("Этот адрес так не открывается.", "This address does not take that request.")),  # noqa: E501
    409: (("Не получилось", "Could not do it"), ("Данные успели измениться, обновите страницу.", "The data changed meanwhile; reload the page.")),  # noqa: E501
    413: (("Слишком много данных", "Too much data"), ("Отправьте меньше.", "Send less.")),
    422: (("Не получилось", "Could not do it"), ("Проверьте, что введено.", "Check what was typed.")),  # noqa: E501
    429: (("Слишком много запросов", "Too many requests"), ("Подождите минуту и попробуйте снова.", "Wait a minute and try again.")),  # noqa: E501
    500: (("Что-то пошло не так", "Something went wrong"), ("Попробуйте ещё раз; если не поможет, сообщите владельцу.", "Try again; if it keeps failing, tell the owner.")),  # noqa: E501
    502: (("YClients не отвечает", "YClients is not answering"), ("Попробуйте через несколько минут. Данные в панели не потеряны.", "Try again in a few minutes. Nothing in the console was lost.")),  # noqa: E501
    503: (("Сервис временно недоступен", "Service unavailable"), ("Попробуйте через минуту.", "Try again in a minute.")),  # noqa: E501
}  # fmt: skip
# Query and path parameters staff meet, by the handler's parameter name (Litestar's key).
PARAMETERS: dict[str, tuple[Pair, Pair]] = {  # name → (label, what is wrong)
    "day": (("Дата", "Date"), ("выберите дату в календаре", "pick a date in the calendar")),
    "q": (("Поиск", "Search"), ("не длиннее 100 символов", "at most 100 characters")),
    "offset": (("Страница", "Page"), ("такой страницы нет", "no such page")),
    "state_": (("Фильтр", "Filter"), ("такого фильтра нет", "no such filter")),
    "ids": (("Синхронизации", "Sync runs"), ("таких нет", "no such runs")),
}


def _status(exc: Exception) -> int:
    if isinstance(exc, HTTPException):
        return exc.status_code
    if isinstance(exc, AppError):
        return app_error_status(exc)
    return 500


def _problems(words: Words, exc: Exception) -> list[str]:
    """What exactly was wrong, in staff's words (a parameter named, a use case's message)."""
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list):
        said = []
        for item in exc.extra:
            key = item.get("key") if isinstance(item, dict) else None
            label, what = PARAMETERS.get(str(key), (None, FALLBACK))
            text = what[words.index]
            said.append(f"{label[words.index]}: {text}" if label else text)
        return said
    if isinstance(exc, AppError) and not isinstance(exc, GatewayError):
        return [field_error(words, str(exc))[1]]
    return []


def back_link(request: Request[Any, Any, Any]) -> str:
    """Where "back" goes: the console page the browser came from, else the start page."""
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = not referer.netloc or referer.netloc == request.headers.get("host")
    if same_site and referer.path.startswith("/admin") and referer.path != request.url.path:
        return referer.path + (f"?{referer.query}" if referer.query else "")
    return "/admin"


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """A console page for any error under /admin: what happened, in the console's language,
    with a way back. An HTMX request gets the message alone (swapped where it was aimed)."""
    status = _status(exc)
    if status >= 500 and not isinstance(exc, GatewayError):
        log.error("console_error", exc_info=exc, extra={"path": request.url.path})
    words: Words = request.app.state.console_words
    title, hint = PAGES.get(status, PAGES[400 if status < 500 else 500])
    context = {
        "status": status,
        "title": title[words.index],
        "hint": hint[words.index],
        "problems": _problems(words, exc),
        "back": back_link(request),
        "nav": NAV,
        "path": request.url.path,
        "admin": getattr(request.state, "admin", None),
        "flash": None,
    }
    if is_htmx(request):
        # HTMX swaps only 2xx answers: the message itself, where the request was aimed.
        return Template("_error.html", context=context, status_code=200)
    return Template("error.html", context=context, status_code=status)


def for_console_paths(api_handler: Any) -> Any:
    """The app's handler for an address no route serves: a console page under /admin, the
    API's JSON elsewhere."""

    def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
        if request.url.path == "/admin" or request.url.path.startswith("/admin/"):
            return error_page(request, exc)
        return api_handler(request, exc)  # type: ignore[no-any-return]

    return handle
