"""The rules staff meet at the desk, each with the setting that changes it (the settings
page shows them so nobody has to guess where a limit comes from)."""

from __future__ import annotations

from src.entrypoints.console.i18n import Words
from src.entrypoints.settings import Settings


def staff_rules(words: Words, settings: Settings) -> list[tuple[str, str, str]]:
    """(label key, the value in staff's words, the setting that changes it)."""
    lock = settings.HOLD_LOCK_HOURS_BEFORE
    ttl = settings.POINTS_TTL_DAYS
    cap = f"{settings.REDEMPTION_MAX_PERCENT.normalize():f}\u00a0%"
    return [
        ("rule_cap", cap, "REDEMPTION_MAX_PERCENT"),
        ("rule_lock", words("rule_lock_hours", hours=lock) if lock else words("rule_lock_day"),
         "HOLD_LOCK_HOURS_BEFORE"),
        ("rule_adjust", words.money(settings.ADJUSTMENT_MAX_POINTS), "ADJUSTMENT_MAX_POINTS"),
        ("rule_expiry", words("rule_expiry_days", days=ttl) if ttl > 0
         else words("rule_expiry_never"), "POINTS_TTL_DAYS"),
        ("rule_zone", settings.ADMIN_TIMEZONE, "ADMIN_TIMEZONE"),
        ("rule_language", "Русский" if words.language == "ru" else "English", "ADMIN_LANGUAGE"),
    ]  # fmt: skip
