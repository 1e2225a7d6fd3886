"""Export requests and their progress in a dictionary, as the ``exports`` table keeps them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from services.exporting.ports import ExportRecord, ExportStatus

__all__ = ["InMemoryExportLedger"]


class InMemoryExportLedger:
    """``services.exporting.ports.ExportLedger`` in memory: an export id is filed once."""

    def __init__(self) -> None:
        self._records: dict[str, ExportRecord] = {}

    async def add(self, record: ExportRecord) -> None:
        if record.export_id in self._records:
            raise ValueError(f"export {record.export_id} is already filed")
        self._records[record.export_id] = record

    async def get(self, export_id: str) -> ExportRecord | None:
        return self._records.get(export_id)

    async def recent(self, *, requested_by: str | None, limit: int) -> list[ExportRecord]:
        mine = [
            record
            for record in self._records.values()
            if requested_by is None or record.requested_by == requested_by
        ]
        mine.sort(key=lambda record: (record.created_at, record.export_id), reverse=True)
        return mine[: max(limit, 0)]

    async def started(
        self, export_id: str, *, checkpoint_size: int, expected: int, at: datetime
    ) -> None:
        self._update(
            export_id,
            status=ExportStatus.RUNNING,
            checkpoint_size=checkpoint_size,
            entries_expected=expected,
            started_at=at,
            updated_at=at,
        )

    async def progressed(self, export_id: str, *, written: int, at: datetime) -> None:
        self._update(export_id, entries_written=written, updated_at=at)

    async def finished(
        self, export_id: str, *, status: ExportStatus, written: int, error: str | None, at: datetime
    ) -> None:
        self._update(
            export_id,
            status=status,
            entries_written=written,
            error=error,
            finished_at=at,
            updated_at=at,
        )

    async def checkpoint_sizes(self, clinic_id: str, *, below: int) -> list[int]:
        return sorted(
            {
                record.checkpoint_size
                for record in self._records.values()
                if record.clinic_id == clinic_id
                and record.status is ExportStatus.DONE
                and record.checkpoint_size is not None
                and record.checkpoint_size <= below
            }
        )

    def _update(self, export_id: str, **values: Any) -> None:
        # As an UPDATE of no row: an unknown id changes nothing.
        if export_id in self._records:
            self._records[export_id] = replace(self._records[export_id], **values)
