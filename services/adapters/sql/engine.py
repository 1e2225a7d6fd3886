"""Engine construction with the per-backend settings the store relies on."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["create_engine"]


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and its parent folder created.

    A PostgreSQL URL may end in ``?search_path=SCHEMA``.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # asyncpg takes no libpq ``options``; a ``search_path`` query parameter puts
    # kapaudit's tables in a schema of the operator's choice instead.
    search_path = parsed.query.get("search_path")
    connect_args: dict[str, Any] = {}
    if isinstance(search_path, str):
        parsed = parsed.difference_update_query(["search_path"])
        connect_args["server_settings"] = {"search_path": search_path}
    return create_async_engine(parsed, echo=echo, pool_pre_ping=True, connect_args=connect_args)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (verify, projectors) run beside the recorder; the busy
    # timeout turns writer contention into waiting instead of "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
