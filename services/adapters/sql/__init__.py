"""The SQL store (PostgreSQL in production, SQLite embedded), one SQLAlchemy codebase."""

# Imported for their side effect: these tables join the shared metadata.
from services.adapters.sql import auth_tables, read_model_tables  # noqa: F401
from services.adapters.sql.engine import create_engine, engine_from_settings
from services.adapters.sql.migrate import upgrade_schema
from services.adapters.sql.projection_store import SqlProjectionStore
from services.adapters.sql.store import SqlEventStore

__all__ = [
    "SqlEventStore",
    "SqlProjectionStore",
    "create_engine",
    "engine_from_settings",
    "upgrade_schema",
]
