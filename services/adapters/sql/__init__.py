"""The SQL store (PostgreSQL in production, SQLite embedded), one SQLAlchemy codebase."""

from services.adapters.sql.engine import create_engine
from services.adapters.sql.migrate import upgrade_schema
from services.adapters.sql.store import SqlEventStore

__all__ = ["SqlEventStore", "create_engine", "upgrade_schema"]
