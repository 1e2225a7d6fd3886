"""Verify the whole log, stream by stream, without holding it all in memory, and the
session owners against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field

from services.adapters.sql import SqlEventStore
from services.log import BrokenLink, LogRow, OwnershipCheck, SessionOwner, verify_rows

__all__ = ["VerificationReport", "verify_log", "verify_store"]


@dataclass(slots=True, kw_only=True)
class VerificationReport:
    """What ``kapaudit verify`` found."""

    events: int = 0
    streams: int = 0
    broken: list[BrokenLink] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.broken


async def verify_store(
    store: SqlEventStore, *, progress: Callable[[int], None] | None = None
) -> VerificationReport:
    """Check the log and ``session_owners`` as of one moment."""
    async with store.snapshot() as (owners, rows):
        return await verify_log(rows, owners=owners, progress=progress)


async def verify_log(
    rows: AsyncIterator[LogRow],
    *,
    owners: Mapping[str, SessionOwner] | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerificationReport:
    """Check rows that arrive ordered by ``(stream_id, sequence)``; with ``owners``, also
    that each session is owned by the clinic and patient of the first event naming it."""
    report = VerificationReport()
    stream: list[LogRow] = []
    ownership = OwnershipCheck()

    def close_stream() -> None:
        if stream:
            report.streams += 1
            report.broken.extend(verify_rows(stream))
            stream.clear()

    async for row in rows:
        if stream and row.stream_id != stream[0].stream_id:
            close_stream()
            # Rows arrive in buffered batches, so the loop may not suspend for thousands
            # of rows; yielding between streams keeps the HTTP server answering while a
            # large log is hashed.
            await asyncio.sleep(0)
        stream.append(row)
        ownership.see(row)
        report.events += 1
        if progress is not None:
            progress(report.events)
    close_stream()
    if owners is not None:
        report.broken.extend(ownership.problems(owners))
    return report
