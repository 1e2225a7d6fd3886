"""A database that cannot be reached: answered 503 with ``Retry-After``, never 500.

The API's and the dashboard's route classes both ask ``is_database_outage``, so every
endpoint and page (token lookup included) answers an outage the same way.
"""

from __future__ import annotations

import logging
import socket
from typing import Final

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

__all__ = ["RETRY_AFTER_SECONDS", "is_database_outage", "log_outage"]

RETRY_AFTER_SECONDS: Final = 5
"""What a 503 asks the client to wait, for the database as for the broker."""

_log = logging.getLogger("kapaudit.http")

# Refused or reset connections and unresolvable hosts reach us as the driver's own
# OSError (asyncpg), the rest wrapped by SQLAlchemy. Other database errors (a missing
# table, a constraint) are bugs, and stay 500s.
_OUTAGES: Final = (
    OperationalError,
    InterfaceError,
    PoolTimeoutError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)


def is_database_outage(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached now (rather than a bug)."""
    if isinstance(error, _OUTAGES):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


def log_outage(error: BaseException, *, path: str) -> None:
    _log.warning("database unavailable for %s: %r", path, error)
