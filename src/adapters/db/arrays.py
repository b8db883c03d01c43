"""PostgreSQL bulk statements over arrays: one parameter per column whatever the number of
rows, so the statement is compiled and prepared once and the driver encodes each column in
one go (no per-value work in Python, no 32k-parameter cap)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import ARRAY


def unnest_rows(columns: Mapping[str, Any], name: str = "v") -> Any:
    """`unnest($1::t1[], $2::t2[], ...) AS v(c1, c2, ...)`, one bind parameter per column,
    named after it."""
    arrays = [bindparam(n, type_=ARRAY(t)) for n, t in columns.items()]
    return func.unnest(*arrays).table_valued(*columns).render_derived(name=name)


def insert_from_arrays(
    table: Table,
    columns: Mapping[str, Any],
    *,
    casts: Mapping[str, Any] | None = None,
    constants: Mapping[str, Any] | None = None,
) -> postgresql.Insert:
    """INSERT INTO table (columns..., constants...) SELECT ... FROM unnest(arrays). `casts`
    wraps a column's value (say, text → jsonb); `constants` are the same for every row."""
    rows = unnest_rows(columns)
    picked = [(casts or {}).get(n, lambda c: c)(rows.c[n]) for n in columns]
    extra = dict(constants or {})
    return postgresql.insert(table).from_select(
        [*columns, *extra], select(*picked, *extra.values()).select_from(rows)
    )


def as_arrays(names: Sequence[str], rows: Iterable[Sequence[Any]]) -> dict[str, list[Any]]:
    """Row tuples (in `names` order) as one list per column."""
    columns = list(zip(*rows, strict=True)) or [() for _ in names]
    return {n: list(c) for n, c in zip(names, columns, strict=True)}
