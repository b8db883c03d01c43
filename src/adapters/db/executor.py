"""The connection a unit of work shares with its repositories, and the error translation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Table, UniqueConstraint, bindparam, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import Executable
from sqlalchemy.util.typing import TupleAny

from src.application.errors import AppError, ConcurrentUpdate, WriteRejected

# asyncpg and SQLite both cap the bind parameters of one statement (32,767 / 32,766).
MAX_PARAMS = 32_000

# PostgreSQL states another transaction caused; the whole unit of work can be retried.
_RETRYABLE_SQLSTATES = {
    "23505": "unique key taken by a concurrent transaction",
    "40001": "serialization failure",
    "40P01": "deadlock detected",
    "55P03": "lock not available",
}

T = TypeVar("T")


def concurrency_error(exc: DBAPIError) -> ConcurrentUpdate | None:
    """`ConcurrentUpdate` if `exc` means "another transaction got there first", else None."""
    sqlstate = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return ConcurrentUpdate(f"{_RETRYABLE_SQLSTATES[sqlstate]}: {_first_line(exc.orig)}")
    message = str(exc.orig)
    if isinstance(exc, IntegrityError) and message.startswith("UNIQUE constraint failed"):
        return ConcurrentUpdate(f"unique key taken by a concurrent transaction: {message}")
    if "database is locked" in message:
        return ConcurrentUpdate(f"SQLite busy: {message}")
    return None


_SQLITE_UNIQUE = "UNIQUE constraint failed: "


def violated_unique_index(exc: BaseException | None, table: Table) -> str | None:
    """The name of the unique index or constraint of `table` whose violation `exc` (a
    `DBAPIError`) reports, else None. PostgreSQL's driver names it; SQLite names an index
    over expressions and lists the columns of the others, matched here against `table`'s
    unique indexes (None when the columns are not exactly one index's)."""
    if not isinstance(exc, DBAPIError):
        return None
    for error in (exc.orig, getattr(exc.orig, "__cause__", None)):
        name = getattr(error, "constraint_name", None)
        if name:
            return str(name)
    message = str(exc.orig)
    if not isinstance(exc, IntegrityError) or not message.startswith(_SQLITE_UNIQUE):
        return None
    failed = message.removeprefix(_SQLITE_UNIQUE).strip()
    if failed.startswith("index '"):
        return failed.removeprefix("index '").rstrip("'")
    columns = {c.strip() for c in failed.split(",")}
    if any("." not in c or c.split(".", 1)[0] != table.name for c in columns):
        return None
    wanted = {c.split(".", 1)[1] for c in columns}
    unique = [
        str(i.name) for i in table.indexes if i.unique and {c.name for c in i.columns} == wanted
    ]
    unique += [
        str(u.name)
        for u in table.constraints
        if isinstance(u, UniqueConstraint) and {c.name for c in u.columns} == wanted
    ]
    return unique[0] if len(unique) == 1 else None


# PostgreSQL classes of "this value cannot be stored": data exceptions (22xxx: too long,
# out of range, NUL in text...), NOT NULL and CHECK violations.
_REJECTED_SQLSTATE_CLASSES = ("22",)
_REJECTED_SQLSTATES = {"23502": "a required value is missing", "23514": "a check failed"}
_REJECTED_REASONS = {
    "22001": "a text value is too long",
    "22003": "a number is out of range",
    "22021": "a text value holds a character the database cannot store",
    "22P05": "a text value holds a character the database cannot store",
}


def storage_error(exc: DBAPIError) -> AppError | None:
    """`ConcurrentUpdate` (retry) or `WriteRejected` (set the record aside), else None.

    A rejection's message carries the SQLSTATE and a plain reason: never the driver's text,
    which quotes the statement and the values (names, phones) it was given."""
    translated = concurrency_error(exc)
    if translated is not None:
        return translated
    sqlstate = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
    if sqlstate in _REJECTED_SQLSTATES or sqlstate[:2] in _REJECTED_SQLSTATE_CLASSES:
        reason = _REJECTED_REASONS.get(sqlstate) or _REJECTED_SQLSTATES.get(
            sqlstate, "a value was refused"
        )
        return WriteRejected(f"the database refused the write: {reason} (SQLSTATE {sqlstate})")
    # asyncpg refuses some values before sending them (an integer beyond int64...).
    if type(exc.orig).__name__ == "DataError" or "DataError" in str(
        type(getattr(exc.orig, "__cause__", None))
    ):
        return WriteRejected("the database driver refused a value (out of range or wrong type)")
    return None


def _first_line(error: object) -> str:
    text = str(error)
    return text.splitlines()[0] if text else type(error).__name__


def chunks(rows: Sequence[T], params_per_row: int) -> Iterator[Sequence[T]]:
    """Slices of `rows` whose statements stay under the bind-parameter cap."""
    size = max(1, MAX_PARAMS // max(1, params_per_row))
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


class Executor:
    """Runs statements on the unit of work's connection, translating concurrency errors into
    `ConcurrentUpdate` so use cases can retry without knowing SQLAlchemy."""

    def __init__(self) -> None:
        self._conn: AsyncConnection | None = None

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("repositories are usable only inside `async with uow:`")
        return self._conn

    @conn.setter
    def conn(self, value: AsyncConnection | None) -> None:
        self._conn = value

    @property
    def in_use(self) -> bool:
        return self._conn is not None

    @property
    def is_postgres(self) -> bool:
        return self.conn.dialect.name == "postgresql"

    def insert(self, table: Table) -> postgresql.Insert | sqlite.Insert:
        """INSERT with the dialect's ON CONFLICT support."""
        return postgresql.insert(table) if self.is_postgres else sqlite.insert(table)

    async def execute_plain(
        self, statement: Executable, params: dict[str, Any]
    ) -> CursorResult[*TupleAny]:
        """`execute`, minus SQLAlchemy's per-row result processing: the statement is
        compiled once and sent as is, and rows come back as the driver decoded them. For a
        hot read whose column types the driver already returns as wanted (asyncpg: aware UTC
        datetimes, Decimals)."""
        sql, names, defaults = _compiled(statement, self.conn.dialect)
        merged = {**defaults, **params}
        try:
            return await self.conn.exec_driver_sql(sql, tuple(merged[n] for n in names))
        except DBAPIError as exc:
            translated = storage_error(exc)
            if translated is None:
                raise
            raise translated from exc

    async def execute(self, statement: Executable, params: Any = None) -> CursorResult[*TupleAny]:
        try:
            return await self.conn.execute(statement, params)
        except DBAPIError as exc:
            translated = storage_error(exc)
            if translated is None:
                raise
            raise translated from exc

    async def update_each(
        self, key: ColumnElement[Any], rows: Iterable[tuple[Any, dict[str, Any]]]
    ) -> None:
        """`UPDATE key's table SET values WHERE key = k` for each (k, values) in `rows`, as
        one executemany statement whatever their number; every `values` names the same
        columns."""
        name = f"k_{key.key}"  # a column's own name is taken by the SET clause
        params = [{name: k, **values} for k, values in rows]
        if params:
            table = key.table  # type: ignore[attr-defined]
            await self.execute(update(table).where(key == bindparam(name)), params)


_COMPILED: dict[tuple[int, str], tuple[str, tuple[str, ...], dict[str, Any]]] = {}


def _compiled(statement: Executable, dialect: Any) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """(SQL text, bind names in positional order, values of the literals bound in it)."""
    key = (id(statement), dialect.name)
    found = _COMPILED.get(key)
    if found is None:
        compiled = statement.compile(dialect=dialect)  # type: ignore[attr-defined]
        names = tuple(compiled.positiontup or ())
        literals = {n: b.value for n, b in compiled.binds.items() if not b.required}
        found = _COMPILED[key] = (str(compiled), names, literals)
    return found
