"""The console's words, dates and money: Russian (the salons' language) or English."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

LANGUAGES = ("ru", "en")

# key → (Russian, English). Templates say t("key"); a missing key shows itself.
LABELS: dict[str, tuple[str, str]] = {
    "console": ("Панель салона", "Salon console"),
    "overview": ("Обзор", "Overview"),
    "for_owner": (
        "для владельца: синхронизация, вебхуки, переключатели",
        "for the owner: syncs, webhooks, switches",
    ),
    "today": ("Сегодня", "Today"),
    "today_hint": (
        "Визиты дня по времени салона; у участников — баланс, резерв и сумма к оплате",
        "The day's visits in the salon's time; for members: balance, hold and amount to pay",
    ),
    "master": ("Мастер", "Master"),
    "is_member": ("Участник", "Member"),
    "not_member": ("не участник", "not a member"),
    "to_pay": ("К оплате", "To pay"),
    "visits_n": ("Визитов: {n}, участников: {members}", "Visits: {n}, members: {members}"),
    "what_happened": ("Что произошло", "What happened"),
    "cancel_hold": ("Отменить резерв", "Cancel hold"),
    "cancel_reason": ("Причина отмены", "Reason to cancel"),
    "hold_cancelled": (
        "Резерв отменён, баллы вернулись клиенту: {points}",
        "Hold cancelled, points back with the member: {points}",
    ),
    "cap_up_to": ("баллами до {cap}", "points up to {cap}"),
    "spend_limit_hint": (
        "Только открытые визиты (сегодня и позже); баллами — не больше {percent} % стоимости "
        "(REDEMPTION_MAX_PERCENT)",
        "Open visits only (today or later); points pay at most {percent} % of the price "
        "(REDEMPTION_MAX_PERCENT)",
    ),
    "balance_after": ("Баланс после", "Balance after"),
    "who": ("Кто", "Who"),
    "by_member": ("клиент", "the member"),
    "by_system": ("система", "the system"),
    "rules": ("Правила для персонала", "The rules staff meet"),
    "rules_hint": (
        "Меняются в настройках сервиса (переменные окружения) и перезапуском",
        "Changed in the service's settings (environment variables) and a restart",
    ),
    "rule": ("Правило", "Rule"),
    "value": ("Значение", "Value"),
    "setting": ("Настройка", "Setting"),
    "rule_cap": (
        "Баллами — не больше доли стоимости визита",
        "Points pay at most this share of a visit",
    ),
    "rule_lock": ("Резерв переходит салону", "A hold becomes the salon's"),
    "rule_lock_day": (
        "в день визита (с 00:00 по времени салона)",
        "on the visit's day (from 00:00 salon time)",
    ),
    "rule_lock_hours": ("за {hours} ч до визита", "{hours} h before the visit"),
    "rule_adjust": ("Одна корректировка баллов — не больше", "One points adjustment at most"),
    "rule_expiry": ("Баллы сгорают через", "Points expire after"),
    "rule_expiry_never": ("никогда не сгорают", "never"),
    "rule_expiry_days": ("{days} дн.", "{days} days"),
    "rule_zone": ("Часовой пояс салона", "The salon's time zone"),
    "rule_language": ("Язык панели", "The console's language"),
    "unmatched_upcoming": (
        "Сегодня и дальше, без отменённых",
        "Today and later, cancelled hidden",
    ),
    "unmatched_all": ("Все, сначала новые", "All, newest first"),
    "unmatched_hidden": ("Скрытые: не участники", "Hidden: not members"),
    "dismiss": ("Не участник — скрыть", "Not a member — hide"),
    "dismiss_hint": (
        "Скрывает и другие записи этого клиента (по телефону, без телефона — по почте)",
        "Hides this client's other bookings too (by phone; without one, by email)",
    ),
    "dismissed": (
        "Клиент скрыт: его записи больше не в списке (вернуть — «Скрытые»)",
        "Client hidden: their bookings leave the list (to undo: «Hidden»)",
    ),
    "restore": ("Вернуть в список", "Back to the list"),
    "restored": ("Клиент снова в списке", "The client is back on the list"),
    "no_contact_to_hide": (
        "Нет телефона и почты — скрыть клиента нельзя",
        "No phone or email: the client cannot be hidden",
    ),
    "suggested": ("Возможно, это", "Perhaps this is"),
    "hint_code": ("код клиента совпадает", "the client code matches"),
    "hint_phone_unverified": (
        "телефон совпадает, но не подтверждён",
        "the phone matches, but is not verified",
    ),
    "hint_email_unverified": (
        "почта совпадает, но не подтверждена",
        "the email matches, but is not verified",
    ),
    "hint_phone_shared": (
        "телефон совпадает, но он есть у нескольких клиентов",
        "the phone matches, but several members have it",
    ),
    "hint_email_shared": (
        "почта совпадает, но она есть у нескольких клиентов",
        "the email matches, but several members have it",
    ),
    "hint_phone": ("телефон совпадает", "the phone matches"),
    "hint_email": ("почта совпадает", "the email matches"),
    "linked_to": ("Запись {booking} привязана к {member}", "Booking {booking} linked to {member}"),
    "undo": ("Отменить", "Undo"),
    "member_card": ("карточка клиента", "member card"),
    "unlinked": ("Привязка записи {booking} отменена", "Booking {booking} unlinked again"),
    "undo_settled": (
        "Отменить нельзя: по этой записи уже начислены баллы",
        "Cannot undo: points were already credited for this booking",
    ),
    "undo_held": (
        "Отменить нельзя: клиент уже зарезервировал баллы на этот визит",
        "Cannot undo: the member already holds points on this visit",
    ),
    "undo_moved": (
        "Отменить нельзя: запись уже привязана по-другому",
        "Cannot undo: the booking is linked differently now",
    ),
    "auto_refresh": ("Список обновляется сам каждые 30 с", "The list refreshes every 30 s"),
    "unmatched": ("Неопознанные записи", "Unmatched bookings"),
    "webhooks": ("Вебхуки", "Webhook events"),
    "members": ("Клиенты", "Members"),
    "settings": ("Настройки", "Settings"),
    "sign_in": ("Войти", "Sign in"),
    "sign_out": ("Выйти", "Sign out"),
    "email": ("Эл. почта", "Email"),
    "password": ("Пароль", "Password"),
    "phone": ("Телефон", "Phone"),
    "name": ("Имя", "Name"),
    "code": ("Код клиента", "Client code"),
    "role": ("Роль", "Role"),
    "balance": ("Баланс баллов", "Points balance"),
    "level": ("Уровень", "Level"),
    "spend": ("Сумма визитов", "Completed spend"),
    "not_admin": ("Это не администратор", "Not an admin"),
    "wrong_credentials": ("Неверная почта или пароль", "Wrong email or password"),
    "too_many": ("Слишком много попыток, попробуйте позже", "Too many attempts; try later"),
    "forbidden": ("Нужны права администратора", "This page needs the admin role"),
    "company": ("Салон", "Company"),
    "sync_runs": ("Последние синхронизации", "Last sync runs"),
    "status": ("Статус", "Status"),
    "trigger": ("Запуск", "Trigger"),
    "started": ("Начало", "Started"),
    "duration": ("Длительность", "Duration"),
    "counts": ("Записи", "Records"),
    "error": ("Ошибка", "Error"),
    "sync_now": ("Синхронизировать", "Sync now"),
    "sync_running": ("Синхронизация идёт…", "Sync running…"),
    "sync_done": ("Синхронизация завершена", "Sync finished"),
    "inbox": ("Входящие вебхуки", "Webhook inbox"),
    "last_webhook": ("Последний вебхук", "Last webhook"),
    "never": ("никогда", "never"),
    "switches": ("Переключатели", "Switches"),
    "yclients_enabled": ("Синхронизация с YClients", "YClients sync"),
    "loyalty_enabled": ("Начисление баллов", "Loyalty points"),
    "on": ("включено", "on"),
    "off": ("выключено", "off"),
    "nothing": ("Пусто", "Nothing here"),
    "booking": ("Запись", "Booking"),
    "visit": ("Визит", "Visit"),
    "client": ("Клиент", "Client"),
    "reason": ("Причина", "Reason"),
    "search_member": ("Найти клиента", "Find a member"),
    "search_hint": (
        "почта, телефон, код или имя",
        "email, phone, code or name",
    ),
    "search": ("Найти", "Search"),
    "last_visit": ("Последний визит", "Last visit"),
    "back": ("← Вернуться", "← Go back"),
    "home": ("На главную", "Start page"),
    "link": ("Привязать", "Link"),
    "linked": (
        "Запись {booking} привязана к клиенту {member}",
        "Booking {booking} linked to {member}",
    ),
    "state": ("Состояние", "State"),
    "all": ("Все", "All"),
    "received": ("Получен", "Received"),
    "attempts": ("Попытки", "Attempts"),
    "body": ("Тело", "Body"),
    "replay": ("Повторить", "Replay"),
    "replayed": ("Событие {event} поставлено в очередь", "Event {event} queued again"),
    "record_gone": (
        "Повтор не поможет: записи {record} больше нет в YClients (её удалили)",
        "Replaying cannot help: record {record} is no longer in YClients (it was deleted)",
    ),
    "contacts": ("Контакты", "Contacts"),
    "bookings": ("Записи", "Bookings"),
    "ledger": ("История баллов", "Points history"),
    "amount": ("Баллы (+/−)", "Points (+/−)"),
    "amount_rule": (
        "Цифры, знак, пробелы и одна запятая или точка, не больше двух знаков после неё",
        "Digits, a sign, spaces and one decimal comma or point, at most two decimals",
    ),
    "adjust": ("Изменить баллы", "Adjust points"),
    "adjusted": ("Баллы изменены: {amount}", "Points adjusted: {amount}"),
    "kind": ("Операция", "Kind"),
    "when": ("Когда", "When"),
    "price": ("Стоимость", "Price"),
    "points": ("Баллы", "Points"),
    "levels": ("Уровни лояльности", "Loyalty levels"),
    "min_spend": ("От суммы визитов", "From spend"),
    "cashback": ("Кешбэк, %", "Cashback, %"),
    "webhook_url": ("Адрес вебхука для YClients", "Webhook URL for YClients"),
    "webhook_url_hint": (
        "YClients → Настройки → Интеграции → Вебхуки → Добавить адрес",
        "YClients → Settings → Integrations → Webhooks → Add URL",
    ),
    "copy": ("Копировать", "Copy"),
    "copied": ("Скопировано", "Copied"),
    "previous": ("← Назад", "← Previous"),
    "next": ("Дальше →", "Next →"),
    "of": ("из", "of"),
    "not_found": ("Не найдено", "Not found"),
    "could_not": ("Не получилось", "Could not do it"),
    "verified": ("подтверждён", "verified"),
    "sync_requested": ("Синхронизация запрошена", "Sync requested"),
    "checkout": ("Касса", "Checkout"),
    "checkout_on": ("Касса на {day}", "Checkout for {day}"),
    "today_mark": ("сегодня", "today"),
    "checkout_hint": (
        "Баллы вводятся скидкой на визит в YClients при оплате (1 балл = 1 ₽)",
        "Enter the points as a discount on the visit in YClients at payment (1 point = 1 ₽)",
    ),
    "day": ("День", "Day"),
    "show": ("Показать", "Show"),
    "time": ("Время", "Time"),
    "services": ("Услуги", "Services"),
    "to_deduct": ("Списать баллов", "Points to deduct"),
    "total": ("Итого", "Total"),
    "held": ("В резерве", "Held"),
    "redeem": ("Списать баллы", "Redeem points"),
    "redeem_points": ("Баллы к списанию", "Points to redeem"),
    "redeemed": ("Списано баллов: {points}", "Points redeemed: {points}"),
    "for_visit": ("За визит", "For the visit"),
    "no_visit": ("без визита", "no particular visit"),
    "member_page": ("Карточка", "Member"),
    "capture": ("Списать резерв", "Capture"),
    "capture_hint": (
        "После скидки в YClients нажмите «Списать резерв»: баллы списываются сразу, "
        "клиент уже не сможет вернуть их себе",
        "After entering the discount in YClients, press Capture: the points are deducted now "
        "and the member can no longer take them back",
    ),
    "captured": ("Резерв списан: {points}", "Hold captured: {points}"),
    "discount_missing": ("Скидка не введена?", "Discount not entered?"),
    "discount_missing_hint": (
        "Визит закрыт по полной цене, хотя баллы списаны: проверьте скидку в YClients",
        "The visit was completed at its full price although the points were captured: "
        "check the discount in YClients",
    ),
    "seconds": ("с", "s"),
    "n_fetched": ("получено", "fetched"),
    "n_created": ("новых", "created"),
    "n_updated": ("изменено", "updated"),
    "n_linked": ("привязано", "linked"),
    "n_unmatched": ("без клиента", "unmatched"),
    "n_points": ("баллов", "points"),
    "n_errors": ("ошибок", "errors"),
    # Salons page (issue 22)
    "salons": ("Салоны", "Salons"),
    "salon_active": ("работает", "active"),
    "salon_paused": ("на паузе", "paused"),
    "shared_secret": ("общий секрет", "shared secret"),
    "last_sync": ("Последняя синхронизация", "Last sync"),
    "sync_lag": ("Отставание", "Lag"),
    "next_sync": ("Следующая синхронизация", "Next sync"),
    "requests_n": ("запросов: {n}", "{n} requests"),
    "sync_failures_n": ("ошибок подряд: {n}, пауза", "{n} failures in a row, backing off"),
    "minutes": ("мин", "min"),
    "webhooks_today": ("Вебхуков сегодня", "Webhooks today"),
    "held_webhooks": ("Отложено", "Held"),
    "salon_zone": ("Часовой пояс", "Time zone"),
    "salon_region": ("Страна", "Region"),
    "pause": ("Поставить на паузу", "Pause"),
    "resume": ("Возобновить", "Resume"),
    "rotate_secret": ("Новый секрет", "Rotate secret"),
    "add_salon": ("Добавить салон", "Add a salon"),
    "unknown_companies": ("Вебхуки от неизвестных салонов", "Webhooks from unknown companies"),
    "salon_id_hint": ("номер компании в YClients", "the YClients company number"),
    "salon_secret_once": (
        "Адрес вебхука салона {company} — показан один раз, скопируйте его в YClients",
        "Salon {company}'s webhook URL — shown once: paste it into YClients now",
    ),
    "salon_paused_done": ("Салон {company} на паузе", "Salon {company} paused"),
    "salon_resumed": ("Салон {company} снова работает", "Salon {company} resumed"),
}


class Words:
    """Labels, dates and money for one language and the salon's time zone."""

    def __init__(self, language: str, timezone: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"ADMIN_LANGUAGE: must be one of {', '.join(LANGUAGES)}")
        self.language = language
        self.index = LANGUAGES.index(language)
        self.zone = ZoneInfo(timezone)

    def __call__(self, key: str, **values: object) -> str:
        pair = LABELS.get(key)
        text = pair[self.index] if pair else key
        return text.format(**values) if values else text

    def money(self, value: Decimal | None) -> str:
        """`1 234,50` in Russian (a narrow no-break space between thousands), `1,234.50`."""
        if value is None:
            return ""
        text = f"{value:,.2f}"
        if self.language == "ru":
            return text.replace(",", "\u202f").replace(".", ",")
        return text

    def day(self, value: date) -> str:
        """A date: `15.01.2030` / `2030-01-15`."""
        return value.strftime("%d.%m.%Y" if self.language == "ru" else "%Y-%m-%d")

    def clock(self, moment: datetime) -> str:
        """The wall-clock time a moment carries (a visit in its salon's own offset): `12:00`."""
        return moment.strftime("%H:%M")

    def seconds(self, value: float) -> str:
        """A duration: `1,5` / `1.5`."""
        text = f"{value:.1f}"
        return text.replace(".", ",") if self.language == "ru" else text

    def when(self, moment: datetime | None) -> str:
        """The salon's wall-clock time: `15.01.2030 12:00` / `2030-01-15 12:00`."""
        if moment is None:
            return "—"
        local = moment.astimezone(self.zone)
        return local.strftime("%d.%m.%Y %H:%M" if self.language == "ru" else "%Y-%m-%d %H:%M")
