"""A session id names one patient's session at one clinic: the store refuses the rest.

The refusals are the log's contract (``log``: memory, SQLite, PostgreSQL); upgrading an
old log and verify's view of edited owner rows are SQL's (``store``)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from events import RejectionReason
from services.adapters.sql import SqlEventStore
from services.adapters.sql.migrate import alembic_config, upgrade_schema
from services.chain import Problem
from services.verification import verify_store
from tests.contract.conftest import Backend, LogStore
from tests.factories import document, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(engine: AsyncEngine) -> SqlEventStore:
    return SqlEventStore(engine=engine)


@pytest.fixture
def log(backend: Backend) -> LogStore:
    """The log on memory, SQLite and PostgreSQL, for the tests of the store's contract."""
    return backend.event_store()


async def _downgrade(engine: AsyncEngine, *, to: str) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, to)

    async with engine.begin() as connection:
        await connection.run_sync(run)


def _vitals(session_id: str, *, clinic_id: str = "clinic-demo", patient_id: str = "pt-1") -> dict:
    return document(
        "vitals.recorded", clinic_id=clinic_id, patient_id=patient_id, session_id=session_id
    )


async def test_another_clinics_event_naming_a_recorded_session_is_rejected_as_a_conflict(
    log: LogStore,
) -> None:
    await log.record(valid=[valid(_vitals("s-1"))], invalid=[], recorded_at=NOW)
    intruder = _vitals("s-1", clinic_id="clinic-other")
    outcome = await log.record(valid=[valid(intruder)], invalid=[], recorded_at=NOW)

    assert outcome.recorded == []
    [rejection] = outcome.rejections
    assert rejection.reason is RejectionReason.CONFLICT
    assert rejection.event_id == intruder["event_id"]
    [error] = rejection.errors
    assert error.path == "session_id"
    assert "'s-1' is already recorded for another clinic or patient" in error.message
    assert "clinic-demo" not in error.message
    assert [row.clinic_id for row in await log.rows()] == ["clinic-demo"]
    assert [r.event_id for r in await log.rejections()] == [intruder["event_id"]]


async def test_another_patients_event_in_the_same_session_is_rejected(
    log: LogStore,
) -> None:
    first, second = _vitals("s-1"), _vitals("s-1", patient_id="pt-2")
    outcome = await log.record(valid=[valid(first), valid(second)], invalid=[], recorded_at=NOW)
    assert outcome.recorded == [first["event_id"]]
    assert [r.event_id for r in outcome.rejections] == [second["event_id"]]


async def test_the_sessions_own_events_keep_being_recorded_after_a_refused_intruder(
    log: LogStore,
) -> None:
    own = [_vitals("s-1"), _vitals("s-1", clinic_id="clinic-other"), _vitals("s-1")]
    outcome = await log.record(valid=[valid(d) for d in own], invalid=[], recorded_at=NOW)
    assert outcome.recorded == [own[0]["event_id"], own[2]["event_id"]]


async def test_an_integration_note_for_another_patients_session_is_rejected(
    log: LogStore,
) -> None:
    await log.record(valid=[valid(_vitals("s-1"))], invalid=[], recorded_at=NOW)
    note = document(
        "integration_note.recorded",
        clinic_id="clinic-demo",
        patient_id="pt-2",
        session_id="s-9",
        payload={"integrates_session_id": "s-1"},
    )
    outcome = await log.record(valid=[valid(note)], invalid=[], recorded_at=NOW)
    [rejection] = outcome.rejections
    assert [e.path for e in rejection.errors] == ["payload.integrates_session_id"]
    # The refused note bound nothing: its own session is still free for its patient.
    later = await log.record(
        valid=[valid(_vitals("s-9", patient_id="pt-3"))], invalid=[], recorded_at=NOW
    )
    assert len(later.recorded) == 1


async def test_a_note_integrating_a_session_not_yet_recorded_binds_it_to_the_notes_patient(
    log: LogStore,
) -> None:
    note = document(
        "integration_note.recorded",
        clinic_id="clinic-demo",
        patient_id="pt-1",
        session_id="s-2",
        payload={"integrates_session_id": "s-1"},
    )
    await log.record(valid=[valid(note)], invalid=[], recorded_at=NOW)
    outcome = await log.record(
        valid=[valid(_vitals("s-1", clinic_id="clinic-other"))], invalid=[], recorded_at=NOW
    )
    assert outcome.recorded == []


async def test_upgrading_an_existing_log_binds_each_session_to_its_first_events_owner(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    await store.record(
        valid=[valid(_vitals("s-1")), valid(_vitals("s-2", patient_id="pt-2"))],
        invalid=[],
        recorded_at=NOW,
    )
    await _downgrade(engine, to="0003")
    await upgrade_schema(engine)
    async with engine.connect() as connection:
        owners = (
            await connection.execute(
                text("SELECT session_id, clinic_id, patient_id FROM session_owners ORDER BY 1")
            )
        ).all()
    assert [tuple(row) for row in owners] == [
        ("s-1", "clinic-demo", "pt-1"),
        ("s-2", "clinic-demo", "pt-2"),
    ]


async def _edit_owners(engine: AsyncEngine, statement: str) -> None:
    """Change session_owners as an attacker with the owner's rights would: triggers off."""
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            await connection.execute(text("ALTER TABLE session_owners DISABLE TRIGGER USER"))
            await connection.execute(text(statement))
            await connection.execute(text("ALTER TABLE session_owners ENABLE TRIGGER USER"))
        else:
            await connection.execute(text("DROP TRIGGER session_owners_no_update"))
            await connection.execute(text("DROP TRIGGER session_owners_no_delete"))
            await connection.execute(text(statement))


async def _ownership_problems(store: SqlEventStore) -> list[tuple[str, str | None, str]]:
    report = await verify_store(store)
    return [
        (link.stream_id, link.event_id, link.detail)
        for link in report.broken
        if link.problem is Problem.OWNERSHIP
    ]


async def test_verify_finds_every_session_owned_by_its_first_events_clinic_and_patient(
    log: LogStore,
) -> None:
    note = document(
        "integration_note.recorded",
        clinic_id="clinic-demo",
        patient_id="pt-1",
        session_id="s-2",
        payload={"integrates_session_id": "s-1"},
    )
    await log.record(valid=[valid(note), valid(_vitals("s-1"))], invalid=[], recorded_at=NOW)
    report = await verify_store(log)
    assert report.intact, report.broken


async def test_verify_reports_a_session_rebound_to_another_clinic(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    first = _vitals("s-1")
    await store.record(valid=[valid(first), valid(_vitals("s-1"))], invalid=[], recorded_at=NOW)
    await _edit_owners(engine, "UPDATE session_owners SET clinic_id = 'clinic-other'")
    [(stream, event_id, detail)] = await _ownership_problems(store)
    assert (stream, event_id) == ("clinic-demo/session/s-1", first["event_id"])
    assert "clinic-other / pt-1, not to the first event naming it" in detail


async def test_verify_reports_a_session_whose_owner_row_was_deleted(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    await store.record(valid=[valid(_vitals("s-1"))], invalid=[], recorded_at=NOW)
    await _edit_owners(engine, "DELETE FROM session_owners")
    [(_, _, detail)] = await _ownership_problems(store)
    assert detail == "session 's-1' has no row in session_owners"


async def test_verify_reports_an_owner_row_that_no_event_in_the_log_founds(
    store: SqlEventStore, engine: AsyncEngine
) -> None:
    await store.record(valid=[valid(_vitals("s-1"))], invalid=[], recorded_at=NOW)
    # Allowed by the triggers: an INSERT alone could reserve a session id for a clinic.
    async with engine.begin() as connection:
        await connection.execute(
            text("INSERT INTO session_owners VALUES ('s-squat', 'clinic-other', 'pt-9')")
        )
    report = await verify_store(store)
    assert not report.intact
    assert [(b.stream_id, b.position, b.problem) for b in report.broken] == [
        ("clinic-other/session/s-squat", None, Problem.OWNERSHIP)
    ]


async def test_upgrading_binds_a_session_named_only_by_an_integration_note_and_verifies(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    note = document(
        "integration_note.recorded",
        clinic_id="clinic-demo",
        patient_id="pt-1",
        session_id="s-2",
        payload={"integrates_session_id": "s-1"},
    )
    await store.record(valid=[valid(note)], invalid=[], recorded_at=NOW)
    await _downgrade(engine, to="0003")
    await upgrade_schema(engine)

    report = await verify_store(store)

    assert report.intact, report.broken
    outcome = await store.record(
        valid=[valid(_vitals("s-1", patient_id="pt-2"))], invalid=[], recorded_at=NOW
    )
    assert outcome.recorded == []
