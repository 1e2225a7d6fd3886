"""The ``exports`` table: export requests, their progress and pinned checkpoints."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import RowMapping, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql.tables import exports
from services.exporting.ports import ExportRecord, ExportStatus

__all__ = ["SqlExportLedger"]


class SqlExportLedger:
    """Implements ``services.exporting.ports.ExportLedger``."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine

    async def add(self, record: ExportRecord) -> None:
        values: dict[str, Any] = {
            name: getattr(record, name) for name in ExportRecord.__dataclass_fields__
        }
        values["status"] = record.status.value
        values["previous_sizes"] = json.dumps(list(record.previous_sizes))
        values["bundle_path"] = str(record.bundle_path)
        async with self._engine.begin() as connection:
            await connection.execute(insert(exports).values(**values))

    async def get(self, export_id: str) -> ExportRecord | None:
        query = select(exports).where(exports.c.export_id == export_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else _record(row)

    async def recent(self, *, requested_by: str | None, limit: int) -> list[ExportRecord]:
        query = select(exports).order_by(exports.c.created_at.desc(), exports.c.export_id.desc())
        if requested_by is not None:
            query = query.where(exports.c.requested_by == requested_by)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query.limit(limit))).mappings().all()
        return [_record(row) for row in rows]

    async def started(
        self, export_id: str, *, checkpoint_size: int, expected: int, at: datetime
    ) -> None:
        await self._update(
            export_id,
            status=ExportStatus.RUNNING.value,
            checkpoint_size=checkpoint_size,
            entries_expected=expected,
            started_at=at,
            updated_at=at,
        )

    async def progressed(self, export_id: str, *, written: int, at: datetime) -> None:
        await self._update(export_id, entries_written=written, updated_at=at)

    async def finished(
        self, export_id: str, *, status: ExportStatus, written: int, error: str | None, at: datetime
    ) -> None:
        await self._update(
            export_id,
            status=status.value,
            entries_written=written,
            error=error,
            finished_at=at,
            updated_at=at,
        )

    async def checkpoint_sizes(self, clinic_id: str, *, below: int) -> list[int]:
        query = (
            select(exports.c.checkpoint_size)
            .where(
                exports.c.clinic_id == clinic_id,
                exports.c.status == ExportStatus.DONE.value,
                exports.c.checkpoint_size <= below,
            )
            .distinct()
            .order_by(exports.c.checkpoint_size)
        )
        async with self._engine.connect() as connection:
            return [int(size) for size in (await connection.execute(query)).scalars()]

    async def _update(self, export_id: str, **values: Any) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                update(exports).where(exports.c.export_id == export_id).values(**values)
            )


def _record(row: RowMapping) -> ExportRecord:
    values = dict(row)
    values["status"] = ExportStatus(values["status"])
    values["previous_sizes"] = tuple(int(s) for s in json.loads(values["previous_sizes"]))
    values["bundle_path"] = Path(values["bundle_path"])
    return ExportRecord(**values)
