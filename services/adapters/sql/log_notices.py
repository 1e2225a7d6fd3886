"""A wake-up call when the log grows: PostgreSQL's LISTEN/NOTIFY on one channel.

The recorder notifies inside its append transaction, so the notice is delivered when,
and only if, the batch commits. Followers of the log (the projector) wait for the notice
instead of sleeping a whole poll interval; they keep polling too, so a lost notice or a
dropped listening connection only costs latency, never an event.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["LOG_APPENDED_CHANNEL", "log_appended"]

LOG_APPENDED_CHANNEL = "kapaudit_log_appended"

_log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def log_appended(engine: AsyncEngine) -> AsyncIterator[asyncio.Event | None]:
    """An event set whenever a recorder commits to the log (the follower clears it);
    None where there are no notices (SQLite) or the listener could not start."""
    if engine.dialect.name != "postgresql":
        yield None
        return
    appended = asyncio.Event()

    def heard(*_: Any) -> None:
        appended.set()

    try:
        connection = await engine.connect()
    except Exception as failure:
        _log.warning("not listening for log appends (%r); polling only", failure)
        yield None
        return
    try:
        driver = (await connection.get_raw_connection()).driver_connection
        assert driver is not None
        await driver.add_listener(LOG_APPENDED_CHANNEL, heard)
        try:
            yield appended
        finally:
            with contextlib.suppress(Exception):
                await driver.remove_listener(LOG_APPENDED_CHANNEL, heard)
    finally:
        with contextlib.suppress(Exception):
            await connection.close()
