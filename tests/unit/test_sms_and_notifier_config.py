"""Issue 20, items 5 and 6: no console notifier outside dev, email-only salons, and what SMS
may cost (regions, an hourly budget for the whole service)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from src.adapters.attempts import MemoryAttemptCounters
from src.adapters.notifications.console import SplitNotifier
from src.adapters.notifications.sms_guard import GuardedSms, SmsBudgetExhausted, SmsRegions
from src.application.errors import NotificationFailed, ValidationFailed
from src.application.use_cases.users import RegisterUser
from src.application.use_cases.verification import (
    ResendCode,
    SendWelcomeCodes,
    SetPhone,
    SmsUnavailable,
    VerificationCodes,
)
from src.domain.verification import Purpose
from src.entrypoints import cli
from src.entrypoints.bootstrap import build_notifier
from src.entrypoints.metrics import install_metrics
from src.entrypoints.settings import Settings, SettingsError, load_settings
from tests.fakes.auth import FakeHasher
from tests.fakes.notify import FakeNotifier
from tests.unit.conftest import World
from tests.unit.verification_flows import SECRET, Flows

LONG = "s" * 40
PREMIUM = "+882 16 5012 3456"  # an international premium-rate network
PHONE = "+7 916 111-22-33"


# --- item 5: the console notifier (codes in the log) only in development ---------------


def _check_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, command: str = "check-config", **env: str
) -> int:
    for name in list(Settings.__struct_fields__):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"JWT_SECRET": LONG, "YCLIENTS_WEBHOOK_SECRET": LONG, **env}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)  # no .env
    return cli.main([command])


@pytest.mark.parametrize("command", ["check-config", "serve"])
def test_codes_in_the_production_log_console_notifier_refused_outside_dev(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    """Without SMTP or SMS settings a production process wrote every code to its log and
    started without a word. Now `check-config` (and `just serve`) exit 2 with the reason."""
    assert _check_config(monkeypatch, tmp_path, command) == 2
    assert "configuration error: SMTP_HOST" in capsys.readouterr().err
    smtp = {"SMTP_HOST": "mail.example.com", "SMTP_FROM": "salon@example.com"}
    assert _check_config(monkeypatch, tmp_path, command, **smtp) == 2
    assert "configuration error: SMS_PROVIDER: console" in capsys.readouterr().err
    with pytest.raises(SettingsError, match="SMTP_HOST"):
        build_notifier(Settings(JWT_SECRET=LONG, YCLIENTS_WEBHOOK_SECRET=LONG))


def test_check_config_accepts_email_only_or_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    smtp = {"SMTP_HOST": "mail.example.com", "SMTP_FROM": "salon@example.com"}
    assert _check_config(monkeypatch, tmp_path, **smtp, SMS_PROVIDER="none") == 0
    assert _check_config(monkeypatch, tmp_path, APP_ENV="dev") == 0


# --- item 5: SMS_PROVIDER=none, email-only --------------------------------------------


def _email_only(
    world: World, notifier: FakeNotifier
) -> tuple[RegisterUser, SetPhone, VerificationCodes]:
    codes = VerificationCodes(SECRET, world.clock, notifier, sms=False)
    f = world.uow_factory
    welcome = SendWelcomeCodes(f, codes, notifier)
    return RegisterUser(f, FakeHasher(), welcome=welcome), SetPhone(f, codes, notifier), codes


async def test_email_only_salon_keeps_phones_unverified_and_sends_no_sms(world: World) -> None:
    notifier = FakeNotifier()
    register, set_phone, codes = _email_only(world, notifier)
    user = await register("maria@example.com", "secret123", phone=PHONE)
    assert notifier.sms == [] and len(notifier.emails) == 1
    world.clock.advance(seconds=61)
    changed = await set_phone(user.id, "+7 903 000-00-01")
    stored = world.store.users[user.id]
    assert (stored.phone, stored.phone_verified_at) == ("+7 903 000-00-01", None)
    assert changed.phone == "+7 903 000-00-01" and notifier.sms == []
    with pytest.raises(SmsUnavailable, match="sends no SMS"):
        await ResendCode(world.uow_factory, codes, notifier)(user.id, Purpose.PHONE)


# --- item 6: SMS pumping ------------------------------------------------------------------


async def test_sms_pumping_to_premium_numbers_is_refused_by_region(world: World) -> None:
    """60 SMS to premium +882 numbers in 90 s: only the salon's regions get SMS now."""
    flows = Flows(world)
    regions = SmsRegions(frozenset({"RU"}), "RU")
    codes = VerificationCodes(SECRET, world.clock, flows.notifier, sms_refusal=regions.refusal)
    f = world.uow_factory
    register = RegisterUser(f, FakeHasher(), welcome=SendWelcomeCodes(f, codes, flows.notifier))
    user = await register("pump@example.com", "secret123", phone=PREMIUM)  # still registered
    assert world.store.users[user.id].email == "pump@example.com"
    assert flows.notifier.sms == []
    world.clock.advance(seconds=61)
    other = await register("maria@example.com", "secret123")
    with pytest.raises(ValidationFailed, match="only to valid numbers of RU"):
        await SetPhone(f, codes, flows.notifier)(other.id, "+1 916 555 1234")
    assert world.store.users[other.id].phone is None  # left as it was
    await SetPhone(f, codes, flows.notifier)(other.id, "89161112233")  # a Russian number
    assert [to for to, _, _ in flows.notifier.sms] == ["+79161112233"]  # its E.164 number
    # The sender itself refuses too, whoever calls it.
    guarded = GuardedSms(FakeNotifier(), regions, MemoryAttemptCounters(), 100)
    with pytest.raises(NotificationFailed):
        await guarded.send_sms(PREMIUM, "hello")
    assert regions.refusal("+7 701 123 4567") is not None  # Kazakhstan: not allowed here
    assert SmsRegions(frozenset({"RU", "KZ"}), "RU").refusal("+7 701 123 4567") is None


async def test_sms_budget_per_hour_for_the_whole_service(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    install_metrics()
    now = [0.0]
    sms = FakeNotifier()
    guarded = GuardedSms(
        sms,
        SmsRegions(frozenset({"RU"}), "RU"),
        MemoryAttemptCounters(clock=lambda: now[0]),
        budget_per_hour=3,
    )

    def refused() -> float:
        return REGISTRY.get_sample_value("sms_refused_total", {"reason": "budget"}) or 0.0

    before = refused()
    for i in range(3):
        await guarded.send_sms(f"+7 916 111-22-3{i}", "code")
    with caplog.at_level(logging.WARNING), pytest.raises(SmsBudgetExhausted) as caught:
        await guarded.send_sms("+7 916 111-22-39", "code")
    assert len(sms.sms) == 3
    assert 1 <= caught.value.retry_after <= 7200 and "try again" in str(caught.value)
    assert [r.__dict__["reason"] for r in caplog.records if r.getMessage() == "sms_refused"] == [
        "budget"
    ]
    assert refused() == before + 1
    # Registration still succeeds when the budget is spent; the member asks again later.
    notifier = SplitNotifier(sms, guarded)
    codes = VerificationCodes(SECRET, world.clock, notifier)
    f = world.uow_factory
    register = RegisterUser(f, FakeHasher(), welcome=SendWelcomeCodes(f, codes, notifier))
    user = await register("late@example.com", "secret123", phone="+7 916 222-33-44")
    assert world.store.users[user.id].phone == "+7 916 222-33-44"
    assert len(sms.emails) == 1 and len(sms.sms) == 3
    now[0] += 2 * 3600  # two hours later the budget is back
    await guarded.send_sms("+7 916 111-22-39", "code")
    assert len(sms.sms) == 4


def test_sms_region_settings_are_checked() -> None:
    assert load_settings(
        {"SMS_ALLOWED_REGIONS": "ru, kz"}, Path("/nonexistent")
    ).SMS_ALLOWED_REGIONS == (
        "RU",
        "KZ",
    )
    with pytest.raises(SettingsError, match="SMS_ALLOWED_REGIONS"):
        load_settings({"SMS_ALLOWED_REGIONS": "RU,XX"}, Path("/nonexistent"))
    with pytest.raises(SettingsError, match="SALON_REGION"):
        load_settings({"SALON_REGION": "Russia"}, Path("/nonexistent"))
