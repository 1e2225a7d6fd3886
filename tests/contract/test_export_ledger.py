"""The ``exports`` table as the API lists it, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql.export_ledger import SqlExportLedger
from services.exporting.ports import ExportRecord, ExportStatus

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _record(export_id: str, *, by: str, minutes: int) -> ExportRecord:
    created = NOW + timedelta(minutes=minutes)
    return ExportRecord(
        export_id=export_id,
        clinic_id="clinic-a",
        patient_id=None,
        period_start=NOW - timedelta(days=1),
        period_end=NOW,
        time_zone="America/Denver",
        requested_by=by,
        requester_role="regulator",
        status=ExportStatus.QUEUED,
        entries_written=0,
        entries_expected=None,
        checkpoint_size=None,
        previous_sizes=(3, 7),
        bundle_path=Path(f"/exports/{export_id}.zip"),
        error=None,
        created_at=created,
        started_at=None,
        finished_at=None,
        updated_at=created,
    )


async def test_recent_exports_come_newest_first_and_as_they_were_filed(
    engine: AsyncEngine,
) -> None:
    ledger = SqlExportLedger(engine=engine)
    filed = [
        _record("exp-1", by="board", minutes=0),
        _record("exp-2", by="admin", minutes=1),
        _record("exp-3", by="board", minutes=2),
    ]
    for record in filed:
        await ledger.add(record)

    recent = await ledger.recent(requested_by=None, limit=10)

    assert [r.export_id for r in recent] == ["exp-3", "exp-2", "exp-1"]
    assert recent[-1] == filed[0]


async def test_recent_exports_of_one_token_leave_out_the_others_and_stop_at_the_limit(
    engine: AsyncEngine,
) -> None:
    ledger = SqlExportLedger(engine=engine)
    for number in range(5):
        await ledger.add(_record(f"exp-{number}", by="board", minutes=number))
    await ledger.add(_record("exp-admin", by="admin", minutes=9))
    await ledger.finished("exp-4", status=ExportStatus.DONE, written=12, error=None, at=NOW)

    mine = await ledger.recent(requested_by="board", limit=2)

    assert [r.export_id for r in mine] == ["exp-4", "exp-3"]
    assert replace(mine[0], updated_at=NOW, finished_at=None) == replace(
        _record("exp-4", by="board", minutes=4),
        status=ExportStatus.DONE,
        entries_written=12,
        updated_at=NOW,
    )
    assert await ledger.recent(requested_by="nobody", limit=10) == []
