"""The log's contract (``EventStore`` and ``LogReader``), run on memory, SQLite and
PostgreSQL alike: chaining, duplicates, conflicts, rejections, ordering.

What only a database does (triggers, migrations, its own limits) is in
``test_event_store_sql.py``.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from events import FieldError, RejectionReason
from services.chain import GENESIS_HASH
from services.recording import Rejection
from services.verification import verify_log, verify_store
from tests.contract.conftest import Backend, LogStore
from tests.factories import coordinates, document, session_documents, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(backend: Backend) -> LogStore:
    return backend.event_store()


async def test_the_first_event_of_a_stream_starts_its_chain_at_the_genesis_hash(
    store: LogStore,
) -> None:
    outcome = await store.record(
        valid=[valid(document("session.started", session_id="s-1"))], invalid=[], recorded_at=NOW
    )
    [row] = await store.rows()
    assert outcome.recorded == [row.event_id]
    assert (row.sequence, row.prev_hash, row.stream_id) == (
        1,
        GENESIS_HASH,
        "clinic-demo/session/s-1",
    )
    assert row.recorded_at == NOW


async def test_events_of_one_stream_are_chained_in_order_and_verify(store: LogStore) -> None:
    docs = session_documents("s-1", 3, start=NOW)
    await store.record(valid=[valid(d) for d in docs[:2]], invalid=[], recorded_at=NOW)
    await store.record(valid=[valid(docs[2])], invalid=[], recorded_at=NOW)
    rows = await store.rows()
    assert [r.sequence for r in rows] == [1, 2, 3]
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    report = await verify_log(store.rows_by_stream())
    assert report.intact, report.broken
    assert (report.events, report.streams) == (3, 1)


async def test_looks_at_the_access_report_are_chained_in_the_clinics_access_stream_and_verify(
    store: LogStore,
) -> None:
    looks = [
        document("access.recorded", patient_id="-", session_id=None, occurred_at=when)
        for when in ("2026-11-24T16:00:00Z", "2026-11-24T16:05:00Z")
    ]
    await store.record(valid=[valid(d) for d in looks], invalid=[], recorded_at=NOW)

    rows = await store.rows()
    assert [(r.stream_id, r.sequence, r.patient_id, r.session_id) for r in rows] == [
        ("clinic-demo/access", 1, "-", None),
        ("clinic-demo/access", 2, "-", None),
    ]
    report = await verify_store(store)
    assert report.intact, report.broken


async def test_a_redelivered_event_with_the_same_content_is_recorded_once(
    store: LogStore,
) -> None:
    doc = document("session.started", session_id="s-1")
    await store.record(valid=[valid(doc)], invalid=[], recorded_at=NOW)
    again = await store.record(valid=[valid(doc), valid(doc)], invalid=[], recorded_at=NOW)
    assert again.recorded == []
    assert again.duplicates == [doc["event_id"]] * 2
    assert await store.count() == 1


async def test_the_same_event_id_with_other_content_is_a_conflict_and_the_first_version_stays(
    store: LogStore,
) -> None:
    doc = document("dose.administered", session_id="s-1")
    await store.record(valid=[valid(doc)], invalid=[], recorded_at=NOW)
    changed = {**doc, "payload": {**doc["payload"], "dose_mg": 999.0}}
    outcome = await store.record(valid=[valid(changed)], invalid=[], recorded_at=NOW)
    [conflict] = outcome.rejections
    assert conflict.reason is RejectionReason.CONFLICT
    assert conflict.errors[0].path == "event_id"
    assert "already recorded with different content" in conflict.errors[0].message
    [row] = await store.rows()
    assert '"dose_mg":999.0' not in row.event_json
    [stored] = await store.rejections()
    assert (stored.reason, stored.event_id) == (RejectionReason.CONFLICT, doc["event_id"])


async def test_a_conflict_inside_one_batch_keeps_the_first_and_rejects_the_second(
    store: LogStore,
) -> None:
    doc = document("session.started", session_id="s-1")
    changed = {**doc, "source": "another-system"}
    outcome = await store.record(valid=[valid(doc), valid(changed)], invalid=[], recorded_at=NOW)
    assert outcome.recorded == [doc["event_id"]]
    assert [r.reason for r in outcome.rejections] == [RejectionReason.CONFLICT]


async def test_a_rejected_offset_is_stored_once_even_when_redelivered(store: LogStore) -> None:
    rejection = Rejection(
        raw=b"{not json",
        key=b"s-1",
        reason=RejectionReason.INVALID_JSON,
        errors=(FieldError(path="(root)", message="Expecting property name"),),
        coordinates=coordinates(),
    )
    first = await store.record(valid=[], invalid=[rejection], recorded_at=NOW)
    second = await store.record(valid=[], invalid=[rejection], recorded_at=NOW)
    assert first.rejections == second.rejections == [rejection]
    assert await store.rejections() == [rejection]


async def test_concurrent_writers_to_one_stream_both_land_with_distinct_sequences(
    backend: Backend,
) -> None:
    writers = [backend.event_store() for _ in range(2)]
    docs = session_documents("s-race", 20, start=NOW)
    await asyncio.gather(
        *(
            writers[i % 2].record(valid=[valid(doc)], invalid=[], recorded_at=NOW)
            for i, doc in enumerate(docs)
        )
    )
    rows = await writers[0].rows()
    assert sorted(r.sequence for r in rows) == list(range(1, 21))
    assert (await verify_log(writers[0].rows_by_stream())).intact


async def test_a_batch_takes_positions_in_its_own_order_across_interleaved_streams(
    store: LogStore,
) -> None:
    streams = [session_documents(f"s-{n}", 40, start=NOW) for n in range(5)]
    interleaved = [docs[i] for i in range(40) for docs in streams]
    await store.record(valid=[valid(d) for d in interleaved], invalid=[], recorded_at=NOW)

    rows = await store.rows(limit=500)
    assert [r.event_id for r in rows] == [d["event_id"] for d in interleaved]
    assert [r.position for r in rows] == sorted(r.position for r in rows)
    for n in range(5):
        assert [r.sequence for r in rows if r.stream_id.endswith(f"/s-{n}")] == list(range(1, 41))
    assert (await verify_store(store)).intact


async def test_counts_streams_and_reads_after_a_position_with_a_limit(store: LogStore) -> None:
    docs = session_documents("s-1", 5, start=NOW)
    assert await store.count() == 0
    assert not await store.stream_exists("clinic-demo/session/s-1")
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    assert await store.count() == 5
    assert await store.stream_exists("clinic-demo/session/s-1")
    assert not await store.stream_exists("clinic-demo/session/s-2")
    everything = await store.rows()
    page = await store.rows(after_position=everything[1].position, limit=2)
    assert [r.event_id for r in page] == [d["event_id"] for d in docs[2:4]]
    assert await store.rows(after_position=everything[-1].position) == []


async def test_rows_by_stream_come_stream_by_stream_in_sequence_order(store: LogStore) -> None:
    a, b = session_documents("s-a", 3, start=NOW), session_documents("s-b", 3, start=NOW)
    await store.record(
        valid=[valid(d) for pair in zip(a, b, strict=True) for d in pair],
        invalid=[],
        recorded_at=NOW,
    )
    rows = [row async for row in store.rows_by_stream()]
    streams = [r.stream_id for r in rows]
    assert sorted(set(streams)) == ["clinic-demo/session/s-a", "clinic-demo/session/s-b"]
    # Each stream's rows are together, in sequence order.
    assert streams == sorted(streams, key=streams.index)
    for stream in set(streams):
        assert [r.sequence for r in rows if r.stream_id == stream] == [1, 2, 3]


async def test_instants_read_back_in_utc_as_recorded(store: LogStore) -> None:
    [doc] = session_documents("s-1", 1, start=NOW)
    doc["occurred_at"] = "2026-11-25T02:00:00-07:00"
    await store.record(valid=[valid(doc)], invalid=[], recorded_at=NOW)
    [row] = await store.rows()
    assert row.occurred_at == datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
    assert row.occurred_at.utcoffset() == timedelta(0)
    assert row.recorded_at == NOW


async def test_a_rejected_batch_records_every_valid_event_and_each_offset_once(
    store: LogStore,
) -> None:
    rejections = [
        Rejection(
            raw=b"x",
            key=None,
            reason=RejectionReason.INVALID_JSON,
            errors=(),
            coordinates=coordinates(offset=offset),
        )
        for offset in (7, 3)
    ]
    [doc] = session_documents("s-1", 1, start=NOW)
    outcome = await store.record(valid=[valid(doc)], invalid=rejections, recorded_at=NOW)
    assert outcome.recorded == [doc["event_id"]]
    await store.record(valid=[], invalid=rejections[::-1], recorded_at=NOW)
    assert [r.coordinates.offset for r in await store.rejections()] == [7, 3]
