"""`GET /api/v1/booking?upcoming_only=true` is served by an index on PostgreSQL.

20,000 bookings across 2,000 members, ANALYZEd; the statements the repository issues for the
request are captured and EXPLAINed. Dropping the index (inside a rolled-back transaction)
shows the same statements would otherwise scan the whole table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncConnection

from src.domain.user import Role, User
from src.entrypoints.http.auth import issue_token
from tests.integration.http.conftest import Api

MEMBERS = 2_000
BOOKINGS = 20_000
INDEX = "ix_bookings_user_id_appointment_at"


async def seed(api: Api) -> int:
    """Returns the id of one member with bookings."""
    async with api.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (email, password_hash, role, created_at, updated_at) "
                "SELECT 'bulk' || g || '@example.com', 'x', 'user', now(), now() "
                "FROM generate_series(1, :n) g"
            ),
            {"n": MEMBERS},
        )
        first = (await conn.execute(text("SELECT min(id) FROM users"))).scalar_one()
        await conn.execute(
            text(
                "INSERT INTO bookings (company_id, yclients_record_id, user_id, status, "
                "appointment_at, last_change_at, services, created_at, updated_at) "
                "SELECT 873456, g, :first + g % :members, "
                "(ARRAY['PENDING','CONFIRMED','COMPLETED','CANCELLED','NO_SHOW'])"
                "[1 + (g / :members) % 5], "
                "now() + (g % 120 - 60) * interval '1 day', now(), '[]'::jsonb, now(), now() "
                "FROM generate_series(1, :n) g"
            ),
            {"first": first, "members": MEMBERS, "n": BOOKINGS},
        )
        await conn.execute(text("ANALYZE users"))
        await conn.execute(text("ANALYZE bookings"))
    return int(first) + 7


async def plan(conn: AsyncConnection, statement: str, parameters: Any) -> str:
    rows = await conn.exec_driver_sql(f"EXPLAIN {statement}", parameters)
    return "\n".join(row[0] for row in rows)


async def test_upcoming_bookings_use_an_index(api: Api) -> None:
    user_id = await seed(api)
    token = issue_token(api.container.settings, User("x@example.com", "x", Role.USER, id=user_id))
    captured: list[tuple[str, Any]] = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):  # type: ignore[no-untyped-def]
        if "FROM bookings" in statement:
            captured.append((statement, parameters))

    event.listen(api.engine.sync_engine, "before_cursor_execute", capture)
    try:
        response = await api.client.get(
            "/api/v1/booking",
            params={"upcoming_only": "true"},
            headers={"Authorization": f"Bearer {token}"},
        )
    finally:
        event.remove(api.engine.sync_engine, "before_cursor_execute", capture)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] > 0
    assert {b["status"] for b in body["items"]} <= {"PENDING", "CONFIRMED"}
    assert len(captured) == 2  # the page and its count

    async with api.engine.connect() as conn:
        for statement, parameters in captured:
            text_plan = await plan(conn, statement, parameters)
            assert "Seq Scan on bookings" not in text_plan, text_plan
            assert "Index Scan" in text_plan or "Bitmap Index Scan" in text_plan, text_plan
            assert INDEX in text_plan, text_plan
    # The test means something: without the index PostgreSQL reads the whole table.
    async with api.engine.connect() as conn:
        await conn.execute(text(f"DROP INDEX {INDEX}"))
        without = await plan(conn, *captured[0])
        await conn.rollback()
    assert "Seq Scan on bookings" in without, without
