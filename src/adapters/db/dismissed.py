"""DismissedClientRepository on SQL: the primary key (kind, value) remembers a client once."""

from __future__ import annotations

from sqlalchemy import and_, delete, exists, func, or_

from src.adapters.db.booking_rows import bookings
from src.adapters.db.executor import Executor
from src.adapters.db.models import DismissedClientRow, table
from src.domain.dismissed import ClientKey, ClientKind, DismissedClient

dismissed_clients = table(DismissedClientRow)
_d = dismissed_clients.c

# Whether a booking's client is marked "not a member": by its phone key, or by its email
# (a client without a readable phone is remembered by email).
BOOKING_DISMISSED = exists().where(
    or_(
        and_(_d.kind == ClientKind.PHONE.value, _d.value == bookings.c.client_phone_key),
        and_(_d.kind == ClientKind.EMAIL.value, _d.value == func.lower(bookings.c.client_email)),
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
