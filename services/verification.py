"""Verify the whole log, stream by stream, without holding it all in memory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from services.log import BrokenLink, LogRow, verify_rows

__all__ = ["VerificationReport", "verify_log"]


@dataclass(slots=True, kw_only=True)
class VerificationReport:
    """What ``kapaudit verify`` found."""

    events: int = 0
    streams: int = 0
    broken: list[BrokenLink] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.broken


async def verify_log(
    rows: AsyncIterator[LogRow], *, progress: Callable[[int], None] | None = None
) -> VerificationReport:
    """Check rows that arrive ordered by ``(stream_id, sequence)``."""
    report = VerificationReport()
    stream: list[LogRow] = []

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
        report.events += 1
        if progress is not None:
            progress(report.events)
    close_stream()
    return report
