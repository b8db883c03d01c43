"""Phones as numbers: users.phone_key and bookings.client_phone_key recomputed from the
phones as their E.164 numbers (phonenumbers, read in the salon's region `SALON_REGION`,
Russia by default), written compactly: a +7 number's 10 digits after `+7` (unchanged: the
seed's "last 10 digits"), any other number whole with its `+` (`+19165551234`). Both columns
widen to 16 characters (`+` and E.164's 15 digits).

Before, a phone's key was its last 10 digits, so `+1 916 555 1234` and `+7 916 555 1234`
were one phone. A member whose verified phone now has another key keeps the bookings it
linked (nothing here touches bookings.user_id) and links only what matches its number from
now on. A phone that is not a number gets no key, and a member's verification of it ends (it
proved nothing that can be compared); if two verified members' phones turn out to be one
number, the first to verify keeps it verified. Keys are computed in Python in batches on
both engines (SQL has no phone parser); only changed keys are written.

The rule is frozen here (migrations import nothing from `src`): keep it in step with
src/domain/contacts.py only through a new migration.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29
"""

import os
import re
from collections.abc import Callable, Sequence

import phonenumbers
import sqlalchemy as sa
from alembic import context, op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 5_000
_NOT_DIGITS = re.compile("[^0-9]+")
KeyRule = Callable[[str | None], str | None]


def _region() -> str:
    """`-x salon_region=KZ`, else `SALON_REGION` from the environment, else RU."""
    given = context.get_x_argument(as_dictionary=True).get("salon_region")
    region = (given or os.environ.get("SALON_REGION") or "RU").strip().upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(f"SALON_REGION: '{region}' is not a country code (e.g. RU, KZ, BY)")
    return region


def _e164_rule(region: str) -> KeyRule:
    def key(phone: str | None) -> str | None:
        text = (phone or "").strip()
        if not text or len(text) > 64:
            return None
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            return None
        if not phonenumbers.is_possible_number(number):
            return None
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        return e164[2:] if e164.startswith("+7") else e164

    return key


def _last_ten_digits(phone: str | None) -> str | None:  # migration 0012's rule
    digits = _NOT_DIGITS.sub("", phone or "")
    return digits[-10:] if len(digits) >= 10 else None


def upgrade() -> None:
    _widen_keys(16)
    rule = _e164_rule(_region())
    _rekey_users(rule)
    _rekey_bookings(rule)


def downgrade() -> None:
    _rekey_users(_last_ten_digits)
    _rekey_bookings(_last_ten_digits)
    _widen_keys(10)


def _rekey_users(rule: KeyRule) -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, phone, phone_key, phone_verified_at FROM users "
            "WHERE phone IS NOT NULL OR phone_key IS NOT NULL ORDER BY id"
        )
    ).all()
    changed: list[dict[str, object]] = []
    unverified: list[dict[str, object]] = []
    verified_by_key: dict[str, list[tuple[object, int]]] = {}
    for user_id, phone, old, verified_at in rows:
        new = rule(phone)
        if new != old:
            changed.append({"i": user_id, "k": new})
        if verified_at is None:
            continue
        if new is None:
            unverified.append({"i": user_id})
        else:
            verified_by_key.setdefault(new, []).append((verified_at, user_id))
    for holders in verified_by_key.values():
        # One member per verified number (ix_users_verified_phone_key): the first keeps it.
        for _, user_id in sorted(holders, key=lambda h: (str(h[0]), h[1]))[1:]:
            unverified.append({"i": user_id})
    if unverified:
        bind.execute(sa.text("UPDATE users SET phone_verified_at = NULL WHERE id = :i"), unverified)
    if changed:
        # Cleared first, so no row meets a key another row is about to give up.
        ids = [{"i": c["i"]} for c in changed]
        bind.execute(sa.text("UPDATE users SET phone_key = NULL WHERE id = :i"), ids)
        bind.execute(sa.text("UPDATE users SET phone_key = :k WHERE id = :i"), changed)


def _rekey_bookings(rule: KeyRule) -> None:
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.text(
                "SELECT id, client_phone, client_phone_key FROM bookings WHERE id > :last "
                "AND (client_phone IS NOT NULL OR client_phone_key IS NOT NULL) "
                "ORDER BY id LIMIT :n"
            ),
            {"last": last, "n": _BATCH},
        ).all()
        if not rows:
            break
        updates = [{"i": i, "k": k} for i, p, old in rows if (k := rule(p)) != old]
        if updates:
            bind.execute(
                sa.text("UPDATE bookings SET client_phone_key = :k WHERE id = :i"), updates
            )
        last = rows[-1][0]


def _widen_keys(length: int) -> None:
    """users.phone_key and bookings.client_phone_key as VARCHAR(length)."""
    old = 10 if length == 16 else 16
    for table, column in (("users", "phone_key"), ("bookings", "client_phone_key")):
        if op.get_bind().dialect.name == "postgresql":
            op.alter_column(table, column, type_=sa.String(length), existing_type=sa.String(old))
        else:
            _sqlite_retype(table, column, length, old)


def _sqlite_retype(table: str, column: str, length: int, old: int) -> None:
    """SQLite changes a type by recreating the table (batch mode), which would lose the
    partial and expression indexes its reflection cannot see (lower(email), ... WHERE ...):
    every index is dropped first and created again after from its own stored SQL."""
    bind = op.get_bind()
    saved = bind.execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master "
            "WHERE type = 'index' AND tbl_name = :t AND sql IS NOT NULL"
        ),
        {"t": table},
    ).all()
    for name, _ in saved:
        bind.exec_driver_sql(f'DROP INDEX "{name}"')
    with op.batch_alter_table(table) as batch:
        batch.alter_column(column, type_=sa.String(length), existing_type=sa.String(old))
    for _, sql in saved:
        bind.exec_driver_sql(sql)
