"""A session id names one patient's session at one clinic: the store refuses the rest."""

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
from tests.factories import document, valid

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


@pytest.fixture
def store(engine: AsyncEngine) -> SqlEventStore:
    return SqlEventStore(engine=engine)


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
    store: SqlEventStore,
) -> None:
    await store.record(valid=[valid(_vitals("s-1"))], invalid=[], recorded_at=NOW)
    intruder = _vitals("s-1", clinic_id="clinic-other")
    outcome = await store.record(valid=[valid(intruder)], invalid=[], recorded_at=NOW)

    assert outcome.recorded == []
    [rejection] = outcome.rejections
    assert rejection.reason is RejectionReason.CONFLICT
    assert rejection.event_id == intruder["event_id"]
    [error] = rejection.errors
    assert error.path == "session_id"
    assert "'s-1' is already recorded for another clinic or patient" in error.message
    assert "clinic-demo" not in error.message
    assert [row.clinic_id for row in await store.rows()] == ["clinic-demo"]
    assert [r.event_id for r in await store.rejections()] == [intruder["event_id"]]


async def test_another_patients_event_in_the_same_session_is_rejected(
    store: SqlEventStore,
) -> None:
    first, second = _vitals("s-1"), _vitals("s-1", patient_id="pt-2")
    outcome = await store.record(valid=[valid(first), valid(second)], invalid=[], recorded_at=NOW)
    assert outcome.recorded == [first["event_id"]]
    assert [r.event_id for r in outcome.rejections] == [second["event_id"]]


async def test_the_sessions_own_events_keep_being_recorded_after_a_refused_intruder(
    store: SqlEventStore,
) -> None:
    own = [_vitals("s-1"), _vitals("s-1", clinic_id="clinic-other"), _vitals("s-1")]
    outcome = await store.record(valid=[valid(d) for d in own], invalid=[], recorded_at=NOW)
    assert outcome.recorded == [own[0]["event_id"], own[2]["event_id"]]


async def test_an_integration_note_for_another_patients_session_is_rejected(
    store: SqlEventStore,
) -> None:
    await store.record(valid=[valid(_vitals("s-1"))], invalid=[], recorded_at=NOW)
    note = document(
        "integration_note.recorded",
        clinic_id="clinic-demo",
        patient_id="pt-2",
        session_id="s-9",
        payload={"integrates_session_id": "s-1"},
    )
    outcome = await store.record(valid=[valid(note)], invalid=[], recorded_at=NOW)
    [rejection] = outcome.rejections
    assert [e.path for e in rejection.errors] == ["payload.integrates_session_id"]
    # The refused note bound nothing: its own session is still free for its patient.
    later = await store.record(
        valid=[valid(_vitals("s-9", patient_id="pt-3"))], invalid=[], recorded_at=NOW
    )
    assert len(later.recorded) == 1


async def test_a_note_integrating_a_session_not_yet_recorded_binds_it_to_the_notes_patient(
    store: SqlEventStore,
) -> None:
    note = document(
        "integration_note.recorded",
        clinic_id="clinic-demo",
        patient_id="pt-1",
        session_id="s-2",
        payload={"integrates_session_id": "s-1"},
    )
    await store.record(valid=[valid(note)], invalid=[], recorded_at=NOW)
    outcome = await store.record(
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
