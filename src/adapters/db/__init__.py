"""Persistence: SQLAlchemy (async) repositories and unit of work, PostgreSQL and SQLite."""

from src.adapters.db.engine import (
    DEFAULT_DATABASE_URL,
    DatabaseUnavailable,
    check_database,
    database_url,
    make_engine,
)
from src.adapters.db.migrate import downgrade, upgrade
from src.adapters.db.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DatabaseUnavailable",
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "check_database",
    "database_url",
    "downgrade",
    "make_engine",
    "upgrade",
]
