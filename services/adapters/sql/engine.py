"""Engine construction with the per-backend settings the store relies on."""

from __future__ import annotations

import logging
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

if TYPE_CHECKING:
    from services.config import Settings

__all__ = [
    "WRITE_OPTION",
    "DatabaseTlsError",
    "answers",
    "create_engine",
    "engine_from_settings",
    "postgres_ssl_context",
]

_log = logging.getLogger("kapaudit.sql")

SslMode = Literal["disable", "require", "verify-ca", "verify-full"]

WRITE_OPTION = "kapaudit_writer"
"""Execution option that marks a connection as a log writer (SQLite: ``BEGIN IMMEDIATE``)."""


class DatabaseTlsError(Exception):
    """The PostgreSQL TLS settings cannot be used (an unreadable CA file); names the setting."""


async def answers(engine: AsyncEngine) -> bool:
    """Whether the database answers a trivial query now (readiness probes)."""
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


def engine_from_settings(settings: Settings) -> AsyncEngine:
    """The engine of the configured store, with its TLS settings (PostgreSQL only)."""
    return create_engine(
        settings.resolved_database_url(),
        sslmode=settings.database_sslmode,
        ssl_root_cert=settings.database_ssl_root_cert,
    )


def create_engine(
    url: str,
    *,
    echo: bool = False,
    sslmode: SslMode | None = None,
    ssl_root_cert: Path | None = None,
) -> AsyncEngine:
    """An async engine; SQLite gets WAL, a busy timeout and its parent folder created.

    A PostgreSQL URL may end in ``?search_path=SCHEMA``. ``sslmode`` and ``ssl_root_cert``
    set PostgreSQL's TLS (``postgres_ssl_context``); unset, the URL's ``?ssl=`` or asyncpg's
    default (``prefer``) decides. SQLite ignores them.

    ``hide_parameters``: a failed statement's message (logged, or shown as a CLI error)
    would otherwise carry its bound values, the events' clinical content among them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if sslmode is not None or ssl_root_cert is not None:
            _log.info("the store is SQLite: the PostgreSQL TLS settings do not apply")
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo, hide_parameters=True)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        return engine
    # asyncpg takes no libpq ``options``; a ``search_path`` query parameter puts
    # kapaudit's tables in a schema of the operator's choice instead.
    search_path = parsed.query.get("search_path")
    connect_args: dict[str, Any] = {}
    if isinstance(search_path, str):
        parsed = parsed.difference_update_query(["search_path"])
        connect_args["server_settings"] = {"search_path": search_path}
    if sslmode is not None:
        connect_args["ssl"] = postgres_ssl_context(sslmode, root_cert=ssl_root_cert)
    return create_async_engine(
        parsed,
        echo=echo,
        pool_pre_ping=True,
        connect_args=connect_args,
        hide_parameters=True,
    )


def postgres_ssl_context(sslmode: SslMode, *, root_cert: Path | None) -> ssl.SSLContext | bool:
    """asyncpg's ``ssl`` argument for libpq's ``sslmode`` (``prefer`` and ``allow`` are left
    out: they fall back to plaintext). A context makes TLS mandatory; ``False`` turns it off.

    - ``require``: encrypted, the server's certificate not checked (as libpq without a CA);
    - ``verify-ca``: the certificate must chain to ``root_cert``;
    - ``verify-full``: that, and it must name the host connected to.
    """
    if sslmode == "disable":
        return False
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if sslmode == "require":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    if root_cert is None:
        raise DatabaseTlsError(
            f"KAPAUDIT_DATABASE_SSLMODE={sslmode} needs KAPAUDIT_DATABASE_SSL_ROOT_CERT"
        )
    try:
        context.load_verify_locations(cafile=root_cert)
    except (ssl.SSLError, OSError) as error:
        raise DatabaseTlsError(
            f"KAPAUDIT_DATABASE_SSL_ROOT_CERT: not a readable PEM CA file: {root_cert}: {error}"
        ) from None
    context.verify_mode = ssl.CERT_REQUIRED
    context.check_hostname = sslmode == "verify-full"
    return context


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers (verify, projectors) run beside the recorder; the busy
    # timeout turns writer contention into waiting instead of "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    # SQLAlchemy emits BEGIN itself (see _sqlite_begin); the driver must not.
    dbapi_connection.isolation_level = None


def _sqlite_begin(connection: Connection) -> None:
    # A writer takes the write lock up front: a deferred transaction that reads
    # and then writes can fail at once with SQLITE_BUSY when another writer holds
    # the lock, instead of waiting out the busy timeout.
    if connection.get_execution_options().get(WRITE_OPTION):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")
