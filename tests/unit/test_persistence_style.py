"""docs/STYLE.md, Persistence: SQLAlchemy Core statements everywhere (reads and writes) on the
unit of work's connection; advanced-alchemy only for its column types and naming convention,
in the table definitions of the database adapter."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.paths import ROOT

# What may be taken from advanced-alchemy, and where.
_ALLOWED = {"advanced_alchemy.types", "advanced_alchemy.base"}
_DB_ADAPTER = ROOT / "src/adapters/db"
# ORM sessions (and advanced-alchemy's repositories and services built on them).
_SESSIONS = {"Session", "AsyncSession", "sessionmaker", "async_sessionmaker", "scoped_session"}


def _from_imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            out.extend((node.module, a.name) for a in node.names)
        elif isinstance(node, ast.Import):
            out.extend((a.name, "") for a in node.names)
    return out


def _sources() -> list[Path]:
    return sorted((ROOT / "src").rglob("*.py"))


def test_advanced_alchemy_is_used_for_types_and_naming_in_the_db_adapter_only() -> None:
    offenders = []
    for path in _sources():
        for module, name in _from_imports(path):
            if module.split(".")[0] != "advanced_alchemy":
                continue
            if module not in _ALLOWED or _DB_ADAPTER not in path.parents:
                offenders.append(f"{path.relative_to(ROOT)}: {module} {name}")
            if module == "advanced_alchemy.base" and name != "convention":
                offenders.append(f"{path.relative_to(ROOT)}: {module}.{name}")
    assert not offenders, offenders


def test_no_orm_session_anywhere_in_src() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {module}.{name}"
        for path in _sources()
        for module, name in _from_imports(path)
        if module.startswith("sqlalchemy") and name in _SESSIONS
    ]
    assert not offenders, offenders
