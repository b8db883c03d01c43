"""DismissedClientRepository on SQL: the primary key (kind, value) remembers a client once."""

from __future__ import annotations

from sqlalchemy import and_, delete, exists, func, select, union

from src.adapters.db.booking_rows import bookings
from src.adapters.db.executor import Executor
from src.adapters.db.models import DismissedClientRow, table
from src.domain.dismissed import ClientKey, ClientKind, DismissedClient

dismissed_clients = table(DismissedClientRow)
_d = dismissed_clients.c

# Whether a booking's client is marked "not a member": by its phone key, or by its email
# (a client without a readable phone is remembered by email). Two EXISTS, and the "not"
# spelled as two NOT EXISTS: PostgreSQL then plans anti-joins instead of a subplan per row.
_BY_PHONE = exists().where(
    _d.kind == ClientKind.PHONE.value, _d.value == bookings.c.client_phone_key
)
_BY_EMAIL = exists().where(
    _d.kind == ClientKind.EMAIL.value, _d.value == func.lower(bookings.c.client_email)
)
BOOKING_NOT_DISMISSED = and_(~_BY_PHONE, ~_BY_EMAIL)
# The marked ones: the ids of bookings joined to a mark, a union of two joins (an OR of two
# EXISTS would be a subplan per row again).
_b = bookings.alias("marked")
BOOKING_DISMISSED = bookings.c.id.in_(
    union(
        select(_b.c.id).join(
            dismissed_clients,
            and_(_d.kind == ClientKind.PHONE.value, _d.value == _b.c.client_phone_key),
        ),
        select(_b.c.id).join(
            dismissed_clients,
            and_(_d.kind == ClientKind.EMAIL.value, _d.value == func.lower(_b.c.client_email)),
        ),
    )
)


class SqlDismissedClients:
    def __init__(self, db: Executor) -> None:
        self.db = db

    async def add(self, client: DismissedClient) -> bool:
        stmt = (
            self.db.insert(dismissed_clients)
            .values(
                kind=client.key.kind.value,
                value=client.key.value,
                dismissed_by=client.dismissed_by,
                dismissed_at=client.dismissed_at,
            )
            .on_conflict_do_nothing(index_elements=[_d.kind, _d.value])
            .returning(_d.kind)
        )
        return (await self.db.execute(stmt)).first() is not None

    async def remove(self, key: ClientKey) -> bool:
        stmt = (
            delete(dismissed_clients)
            .where(_d.kind == key.kind.value, _d.value == key.value)
            .returning(_d.kind)
        )
        return (await self.db.execute(stmt)).first() is not None
