"""The store's contract, run against SQLite and PostgreSQL alike."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from events import FieldError, RejectionReason
from services.adapters.sql import SqlEventStore
from services.adapters.sql.tables import metadata
from services.log import GENESIS_HASH, Problem
from services.recording import Rejection, ValidEvent
from services.verification import verify_log, verify_store
from tests.factories import coordinates, document, session_documents, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(engine: AsyncEngine) -> SqlEventStore:
    return SqlEventStore(engine=engine)


async def test_the_first_event_of_a_stream_starts_its_chain_at_the_genesis_hash(
    store: SqlEventStore,
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


async def test_events_of_one_stream_are_chained_in_order_and_verify(store: SqlEventStore) -> None:
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
    store: SqlEventStore,
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
    store: SqlEventStore,
) -> None:
    doc = document("session.started", session_id="s-1")
    await store.record(valid=[valid(doc)], invalid=[], recorded_at=NOW)
    again = await store.record(valid=[valid(doc), valid(doc)], invalid=[], recorded_at=NOW)
    assert again.recorded == []
    assert again.duplicates == [doc["event_id"]] * 2
    assert await store.count() == 1


async def test_the_same_event_id_with_other_content_is_a_conflict_and_the_first_version_stays(
    store: SqlEventStore,
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
    store: SqlEventStore,
) -> None:
    doc = document("session.started", session_id="s-1")
    changed = {**doc, "source": "another-system"}
    outcome = await store.record(valid=[valid(doc), valid(changed)], invalid=[], recorded_at=NOW)
    assert outcome.recorded == [doc["event_id"]]
    assert [r.reason for r in outcome.rejections] == [RejectionReason.CONFLICT]


async def test_a_rejected_offset_is_stored_once_even_when_redelivered(store: SqlEventStore) -> None:
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
    engine: AsyncEngine,
) -> None:
    writers = [SqlEventStore(engine=engine) for _ in range(2)]
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


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE event_log SET sequence = sequence + 1",
        "UPDATE event_log SET event_json = '{}'",
        "DELETE FROM event_log",
        "DELETE FROM rejected_events",
        "UPDATE session_owners SET clinic_id = 'clinic-other'",
        "DELETE FROM session_owners",
    ],
)
async def test_the_database_rejects_changes_to_the_log(
    store: SqlEventStore, engine: AsyncEngine, statement: str
) -> None:
    await store.record(valid=[valid(document("session.started"))], invalid=[], recorded_at=NOW)
    await store.record(
        valid=[],
        invalid=[
            Rejection(
                raw=b"x",
                key=None,
                reason=RejectionReason.INVALID_JSON,
                errors=(),
                coordinates=coordinates(),
            )
        ],
        recorded_at=NOW,
    )
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(text(statement))
    assert await store.count() == 1


async def test_postgresql_rejects_truncating_the_log(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE statement")
    await store.record(valid=[valid(document("session.started"))], invalid=[], recorded_at=NOW)
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE event_log"))
    assert await store.count() == 1


async def test_postgresql_rejects_truncating_the_session_owners(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE statement")
    await store.record(
        valid=[valid(document("session.started", session_id="s-1"))], invalid=[], recorded_at=NOW
    )
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as connection:
            await connection.execute(text("TRUNCATE session_owners"))
    async with engine.connect() as connection:
        owners = await connection.execute(text("SELECT count(*) FROM session_owners"))
        assert owners.scalar_one() == 1


async def test_the_migrations_create_exactly_the_declared_tables(engine: AsyncEngine) -> None:
    def differences(sync_connection: object) -> list[object]:
        context = MigrationContext.configure(sync_connection)  # type: ignore[arg-type]
        return list(compare_metadata(context, metadata))

    async with engine.connect() as connection:
        diff = await connection.run_sync(differences)
    assert diff == []


async def _tamper(engine: AsyncEngine, *statements: str, **params: object) -> None:
    """Change the log the way an attacker with database rights would: triggers off."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE event_log DISABLE TRIGGER USER"))
            for statement in statements:
                await connection.execute(text(statement), params)
            await connection.execute(text("ALTER TABLE event_log ENABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER event_log_no_update"))
            await connection.execute(text("DROP TRIGGER event_log_no_delete"))
            for statement in statements:
                await connection.execute(text(statement), params)


async def test_verify_names_the_row_an_attacker_modified(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    docs = session_documents("s-1", 4, start=NOW)
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    target = (await store.rows())[2]
    forged = target.event_json.replace('"systolic_mmhg":', '"systolic_mmhg":1')
    assert forged != target.event_json
    await _tamper(
        engine,
        f"UPDATE event_log SET event_json = :forged WHERE position = {target.position}",
        forged=forged,
    )
    report = await verify_log(store.rows_by_stream())
    assert not report.intact
    assert {(b.event_id, b.sequence, b.problem) for b in report.broken} == {
        (target.event_id, 3, Problem.MODIFIED)
    }


# Scoping and reads go by these copies, not by the hashed event: each one edited alone
# must be caught, even though event_json and the chain are untouched.
FORGED_COLUMNS = {
    "clinic_id": "'clinic-other'",
    "patient_id": "'pt-forged'",
    "session_id": "'s-forged'",
    "event_type": "'dose.administered'",
    "event_id": "'00000000-0000-4000-8000-00000000f00d'",
    "occurred_at": "recorded_at",
}


@pytest.mark.parametrize("column", FORGED_COLUMNS)
async def test_verify_names_a_row_whose_stored_column_alone_was_changed(
    store: SqlEventStore, engine: AsyncEngine, column: str
) -> None:
    docs = session_documents("s-1", 4, start=NOW + timedelta(hours=1))
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    target = (await store.rows())[2]
    await _tamper(
        engine,
        f"UPDATE event_log SET {column} = {FORGED_COLUMNS[column]} "
        f"WHERE position = {target.position}",
    )
    [forged] = [row for row in await store.rows() if row.position == target.position]
    assert forged.event_json == target.event_json
    assert forged.hash == target.hash
    report = await verify_store(store)
    modified = [
        (b.position, b.sequence, b.detail) for b in report.broken if b.problem is Problem.MODIFIED
    ]
    assert modified == [(target.position, 3, f"column(s) {column} differ from the hashed event")]


async def test_verify_names_a_deleted_row_as_missing(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    docs = session_documents("s-1", 4, start=NOW)
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    target = (await store.rows())[1]
    await _tamper(engine, f"DELETE FROM event_log WHERE position = {target.position}")
    report = await verify_log(store.rows_by_stream())
    assert [(b.sequence, b.problem) for b in report.broken] == [(3, Problem.MISSING)]


async def test_verify_names_swapped_rows_as_reordered(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    docs = session_documents("s-1", 4, start=NOW)
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW)
    rows = await store.rows()
    second, third = rows[1], rows[2]
    await _tamper(
        engine,
        f"UPDATE event_log SET sequence = -1 WHERE position = {second.position}",
        f"UPDATE event_log SET sequence = 2 WHERE position = {third.position}",
        f"UPDATE event_log SET sequence = 3 WHERE position = {second.position}",
    )
    report = await verify_log(store.rows_by_stream())
    reordered = {b.event_id for b in report.broken if b.problem is Problem.REORDERED}
    assert {second.event_id, third.event_id} <= reordered
    assert rows[0].event_id not in {b.event_id for b in report.broken}


async def test_an_event_the_database_refuses_is_rejected_alone_and_the_rest_recorded(
    store: SqlEventStore,
) -> None:
    before, poison_doc, after = session_documents("s-poison", 3, start=NOW)
    poison = valid(poison_doc)
    # The contract refuses such a timestamp today; this stands for the next gap in it.
    timeless = poison.event.model_copy(
        update={"occurred_at": datetime.fromisoformat("0001-01-01T00:00:00+14:00")}
    )
    poisoned = ValidEvent(
        event=timeless, canonical_json=poison.canonical_json, coordinates=poison.coordinates
    )
    outcome = await store.record(
        valid=[valid(before), poisoned, valid(after)], invalid=[], recorded_at=NOW
    )
    assert outcome.recorded == [before["event_id"], after["event_id"]]
    [rejection] = outcome.rejections
    assert rejection.reason is RejectionReason.UNSTORABLE
    assert rejection.event_id == poison_doc["event_id"]
    assert [r.reason for r in await store.rejections()] == [RejectionReason.UNSTORABLE]
    assert (await verify_log(store.rows_by_stream())).intact


async def test_a_batch_takes_positions_in_its_own_order_across_interleaved_streams(
    store: SqlEventStore,
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


async def test_a_value_too_long_for_its_column_is_refused_not_cut_short(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite does not enforce VARCHAR lengths")
    [before] = session_documents("s-before", 1, start=NOW)
    [long_doc] = session_documents("s-long", 1, start=NOW)
    [after] = session_documents("s-after", 1, start=NOW)
    long = valid(long_doc)
    stretched = ValidEvent(
        event=long.event.model_copy(update={"clinic_id": "c" * 65}),
        canonical_json=long.canonical_json,
        coordinates=long.coordinates,
    )
    outcome = await store.record(
        valid=[valid(before), stretched, valid(after)], invalid=[], recorded_at=NOW
    )
    assert outcome.recorded == [before["event_id"], after["event_id"]]
    [rejection] = outcome.rejections
    assert rejection.reason is RejectionReason.UNSTORABLE
    assert "too long" in rejection.errors[0].message
    assert {r.clinic_id for r in await store.rows()} == {"clinic-demo"}
