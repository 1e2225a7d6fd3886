"""The SQL store (PostgreSQL in production, SQLite embedded), one SQLAlchemy codebase."""

from services.adapters.sql import read_model_tables as _read_model_tables  # registers them
from services.adapters.sql.engine import create_engine
from services.adapters.sql.migrate import upgrade_schema
from services.adapters.sql.store import SqlEventStore

__all__ = ["SqlEventStore", "create_engine", "upgrade_schema"]
