"""What the SQL event store adds to the log's contract (``test_event_store.py``): the
database refuses changes to the log, the migrations match the tables, verify finds
what an attacker with database rights changed, and a row the database refuses is
isolated. Run against SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from events import RejectionReason
from services.adapters.sql import SqlEventStore
from services.adapters.sql.tables import metadata
from services.chain import Problem
from services.recording import Rejection, ValidEvent
from services.verification import verify_log, verify_store
from tests.factories import coordinates, document, session_documents, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(engine: AsyncEngine) -> SqlEventStore:
    return SqlEventStore(engine=engine)


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
