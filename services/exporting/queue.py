"""Exports made in the background of a server process, one at a time.

The HTTP handler files a request and answers at once; the bundle is made here, after
it. One at a time: an export reads a clinic's whole log and hashes every entry, and two
at once would only halve each one's speed while doubling the memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from pathlib import Path

from services.exporting.ports import ExportRecord, Requester
from services.exporting.service import ExportRequest, Exports, new_export_id
from services.period import Period

__all__ = ["ExportQueue"]

_log = logging.getLogger("kapaudit.exports")

_STOPPED = "not made: the server stopped before its turn came; request it again"


class ExportQueue:
    """Files exports and makes their bundles, ``<directory>/<export id>.zip``, in turn."""

    def __init__(self, *, exports: Exports, directory: Path) -> None:
        self._exports = exports
        self._directory = directory
        self._waiting: asyncio.Queue[tuple[str, Requester]] = asyncio.Queue()
        # The event loop keeps only a weak reference to a task: this one is held here.
        self._worker: asyncio.Task[None] | None = None
        self._closed = False

    async def submit(
        self,
        *,
        clinic_id: str,
        period: Period,
        patient_id: str | None,
        previous_sizes: Sequence[int],
        requester: Requester,
    ) -> ExportRecord:
        """File the export (``Exports.start``'s errors propagate) and queue its making."""
        if self._closed:
            raise RuntimeError("the export queue is closed")
        self._directory.mkdir(parents=True, exist_ok=True)
        export_id = new_export_id()
        record = await self._exports.start(
            ExportRequest(
                clinic_id=clinic_id,
                period=period,
                patient_id=patient_id,
                out=self._directory / f"{export_id}.zip",
                requester=requester,
                previous_sizes=tuple(previous_sizes),
                export_id=export_id,
            )
        )
        self._waiting.put_nowait((export_id, requester))
        if self._worker is None:
            self._worker = asyncio.create_task(self._work(), name="kapaudit-exports")
        return record

    async def status(self, export_id: str) -> ExportRecord | None:
        return await self._exports.status(export_id)

    async def recent(self, *, requested_by: str | None, limit: int) -> list[ExportRecord]:
        return await self._exports.recent(requested_by=requested_by, limit=limit)

    async def close(self) -> None:
        """Stop: the export being made is cancelled and the waiting ones abandoned, each
        row saying ``failed`` and why, rather than ``running`` forever."""
        self._closed = True
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        while not self._waiting.empty():
            export_id, _ = self._waiting.get_nowait()
            await self._exports.abandon(export_id, reason=_STOPPED)

    async def _work(self) -> None:
        while True:
            export_id, requester = await self._waiting.get()
            try:
                await self._exports.run(export_id, requester=requester)
            except Exception:
                # The row says failed, with the error, for whoever asked to read.
                _log.exception("export %s failed", export_id)
