"""The record of export requests (the ``exports`` table) on memory, SQLite and PostgreSQL:
what the API lists, how an export moves on, which checkpoints later exports extend."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.exporting.ports import ExportRecord, ExportStatus
from tests.contract.conftest import Backend

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
    backend: Backend,
) -> None:
    ledger = backend.export_ledger()
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
    backend: Backend,
) -> None:
    ledger = backend.export_ledger()
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


async def test_an_export_is_started_moves_on_and_finishes_as_filed(backend: Backend) -> None:
    ledger = backend.export_ledger()
    await ledger.add(_record("exp-1", by="board", minutes=0))
    later = NOW + timedelta(hours=1)
    await ledger.started("exp-1", checkpoint_size=40, expected=25, at=later)
    running = await ledger.get("exp-1")
    assert running is not None
    assert (running.status, running.checkpoint_size, running.entries_expected) == (
        ExportStatus.RUNNING,
        40,
        25,
    )
    assert running.started_at == later
    moved_on = later + timedelta(seconds=1)
    await ledger.progressed("exp-1", written=10, at=moved_on)
    assert await ledger.get("exp-1") == replace(running, entries_written=10, updated_at=moved_on)
    await ledger.finished(
        "exp-1", status=ExportStatus.FAILED, written=12, error="disk full", at=later
    )
    done = await ledger.get("exp-1")
    assert done == replace(
        running,
        status=ExportStatus.FAILED,
        entries_written=12,
        error="disk full",
        finished_at=later,
        updated_at=later,
    )
    assert await ledger.get("exp-unknown") is None


async def test_later_exports_extend_only_the_finished_exports_of_the_clinic(
    backend: Backend,
) -> None:
    ledger = backend.export_ledger()
    for number, (clinic, size, status) in enumerate(
        [
            ("clinic-a", 10, ExportStatus.DONE),
            ("clinic-a", 30, ExportStatus.DONE),
            ("clinic-a", 10, ExportStatus.DONE),
            ("clinic-a", 20, ExportStatus.FAILED),
            ("clinic-a", 50, ExportStatus.DONE),
            ("clinic-b", 15, ExportStatus.DONE),
        ]
    ):
        export_id = f"exp-{number}"
        await ledger.add(replace(_record(export_id, by="board", minutes=number), clinic_id=clinic))
        await ledger.started(export_id, checkpoint_size=size, expected=1, at=NOW)
        await ledger.finished(export_id, status=status, written=1, error=None, at=NOW)
    await ledger.add(_record("exp-queued", by="board", minutes=9))

    assert await ledger.checkpoint_sizes("clinic-a", below=30) == [10, 30]
    assert await ledger.checkpoint_sizes("clinic-a", below=100) == [10, 30, 50]
    assert await ledger.checkpoint_sizes("clinic-c", below=100) == []
