"""What an export selects and how it reads it, on memory, SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import SqlEventStore
from services.adapters.sql.export_source import SqlExportSource
from services.chain.merkle import MemoryNodes, perfect_cover
from services.exporting.ports import ExportSelection, ExportSource, SelectionCounts
from tests.contract.conftest import Backend, LogStore
from tests.factories import at, document, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
BEFORE = DAY - timedelta(days=1)
AFTER = DAY + timedelta(days=2)


def _vitals(clinic: str, patient: str, session: str, when: datetime) -> dict[str, Any]:
    return at(
        document("vitals.recorded", clinic_id=clinic, patient_id=patient, session_id=session),
        when,
    )


def _consent(clinic: str, patient: str, when: datetime) -> dict[str, Any]:
    return at(document("consent.given", clinic_id=clinic, patient_id=patient), when)


def _read(clinic: str, patient: str, when: datetime) -> dict[str, Any]:
    return at(
        document("access.recorded", clinic_id=clinic, patient_id=patient, session_id=None), when
    )


async def _record(store: LogStore, *docs: dict[str, Any]) -> None:
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)


async def _clinic_day(store: LogStore) -> None:
    """Clinic A: p1's session s1 begun the day before and continued in the period, p1's
    consent in the period, p2's session s2 after it, p4's session s4 in it; p1 and p2
    were read. Clinic B: s3 in the period."""
    await _record(
        store,
        _vitals("clinic-a", "p1", "s1", BEFORE),
        _read("clinic-a", "p1", BEFORE),
        _vitals("clinic-a", "p1", "s1", DAY + timedelta(hours=1)),
        _consent("clinic-a", "p1", DAY + timedelta(hours=2)),
        _vitals("clinic-a", "p2", "s2", AFTER),
        _read("clinic-a", "p2", AFTER),
        _vitals("clinic-b", "p3", "s3", DAY + timedelta(hours=1)),
        _vitals("clinic-a", "p4", "s4", DAY + timedelta(hours=3)),
        _read("clinic-a", "p1", AFTER),
    )


async def _select(
    source: ExportSource, *, size: int, patient: str | None = None
) -> tuple[ExportSelection, SelectionCounts]:
    return await source.select(
        clinic_id="clinic-a",
        start=DAY,
        end=DAY + timedelta(days=1),
        patient_id=patient,
        size=size,
    )


async def _streams_of(source: ExportSource, selection: ExportSelection) -> dict[str, int]:
    streams: dict[str, int] = {}
    async for row in source.entries_in_log_order(selection):
        streams[row.stream_id] = streams.get(row.stream_id, 0) + 1
    return streams


async def test_streams_touched_in_the_period_are_exported_whole_with_their_access_streams(
    backend: Backend,
) -> None:
    store = backend.event_store()
    await _clinic_day(store)
    source = backend.export_source()
    selection, counts = await _select(source, size=9)
    assert await _streams_of(source, selection) == {
        "clinic-a/session/s1": 2,
        "clinic-a/patient/p1": 1,
        "clinic-a/session/s4": 1,
        "clinic-a/access/p1": 2,
    }
    assert counts == SelectionCounts(
        clinical_entries=4,
        access_entries=2,
        clinical_streams=3,
        access_streams=1,
        sessions=2,
        patients=("p1", "p4"),
    )


async def test_a_look_at_the_access_report_is_no_patients_and_is_left_out_of_the_export(
    backend: Backend,
) -> None:
    store = backend.event_store()
    await _clinic_day(store)
    # Bundle format 1 has files for patient and session streams only, as for profiles.
    await _record(store, _read("clinic-a", "-", DAY + timedelta(hours=4)))
    source = backend.export_source()

    selection, counts = await _select(source, size=10)

    assert "clinic-a/access" not in await _streams_of(source, selection)
    assert (counts.access_entries, counts.patients) == (2, ("p1", "p4"))


async def test_a_session_brings_its_patients_stream_though_the_consent_came_before(
    backend: Backend,
) -> None:
    store = backend.event_store()
    await _record(
        store,
        _consent("clinic-a", "p5", BEFORE - timedelta(days=30)),
        _consent("clinic-a", "p6", BEFORE),
        _consent("clinic-b", "p5", BEFORE),
        _vitals("clinic-a", "p5", "s5", DAY + timedelta(hours=1)),
    )
    source = backend.export_source()
    selection, counts = await _select(source, size=4)
    assert await _streams_of(source, selection) == {
        "clinic-a/patient/p5": 1,
        "clinic-a/session/s5": 1,
    }
    assert (counts.clinical_streams, counts.sessions, counts.patients) == (2, 1, ("p5",))


async def test_entries_come_in_ascending_leaf_order_with_their_leaf_indices(
    backend: Backend,
) -> None:
    store = backend.event_store()
    await _clinic_day(store)
    source = backend.export_source()
    selection, _ = await _select(source, size=9)
    rows = [row async for row in source.entries_in_log_order(selection)]
    assert [row.index for row in rows] == [0, 1, 2, 3, 7, 8]
    assert [row.event_id for row in rows] == [
        r.event_id for r in await store.rows() if r.position in {row.position for row in rows}
    ]


async def test_a_patient_filter_keeps_only_that_patients_streams(backend: Backend) -> None:
    store = backend.event_store()
    await _clinic_day(store)
    source = backend.export_source()
    selection, counts = await _select(source, size=9, patient="p4")
    assert await _streams_of(source, selection) == {"clinic-a/session/s4": 1}
    assert counts.patients == ("p4",)


async def test_entries_after_the_checkpoint_are_left_out(backend: Backend) -> None:
    store = backend.event_store()
    await _clinic_day(store)
    await _record(store, _vitals("clinic-a", "p1", "s1", DAY + timedelta(hours=5)))
    source = backend.export_source()
    selection, counts = await _select(source, size=9)
    assert (await _streams_of(source, selection))["clinic-a/session/s1"] == 2
    heads = {head.stream_id: head.sequence async for head in source.heads(selection)}
    assert heads == {
        "clinic-a/access/p1": 2,
        "clinic-a/patient/p1": 1,
        "clinic-a/session/s1": 2,
        "clinic-a/session/s4": 1,
    }
    assert list(heads) == sorted(heads)
    assert counts.clinical_entries == 4


async def test_clinical_streams_come_whole_one_at_a_time_in_stream_order(
    backend: Backend,
) -> None:
    store = backend.event_store()
    await _clinic_day(store)
    source = backend.export_source()
    selection, _ = await _select(source, size=9)
    streams = [
        (stream, [row.sequence for row in rows])
        async for stream, rows in source.clinical_streams(selection)
    ]
    assert streams == [
        ("clinic-a/patient/p1", [1]),
        ("clinic-a/session/s1", [1, 2]),
        ("clinic-a/session/s4", [1]),
    ]


async def test_gap_hashes_are_the_subtree_hashes_of_the_stored_tree(backend: Backend) -> None:
    store = backend.event_store()
    await _clinic_day(store)
    source = backend.export_source()
    rows = await store.rows(after_position=0, limit=9)
    leaves = [(await backend.proof_tree().leaf(row.event_id))[2] for row in rows]
    memory = MemoryNodes(leaves)
    ranges = [(4, 8), (0, 2), (8, 9)]
    expected = []
    for start, end in ranges:
        nodes = [memory(n.level, n.index) for n in perfect_cover(start, end)]
        expected.append(nodes[0])  # each of these ranges is one perfect subtree
    assert await source.subtree_hashes(ranges) == expected


async def test_rows_are_streamed_in_batches_not_fetched_all_at_once(
    engine: AsyncEngine,
) -> None:
    store = SqlEventStore(engine=engine)
    await _clinic_day(store)
    source = SqlExportSource(engine=engine, batch=2)
    selection, _ = await _select(source, size=9)
    options: list[dict[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: Any) -> None:
        if "event_json" in statement:
            options.append(dict(context.execution_options))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    try:
        rows = [row async for row in source.entries_in_log_order(selection)]
        streams = [s async for s in source.clinical_streams(selection)]
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(rows) == 6
    assert len(streams) == 3
    assert len(options) == 2
    assert all(o.get("stream_results") and o.get("yield_per") == 2 for o in options)


@pytest.mark.parametrize("clinic", ["clinic-a", "clinic-b"])
async def test_a_clinic_with_entries_is_known(backend: Backend, clinic: str) -> None:
    store = backend.event_store()
    await _clinic_day(store)
    source = backend.export_source()
    assert await source.clinic_known(clinic)
    assert not await source.clinic_known("clinic-z")
