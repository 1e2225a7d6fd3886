"""Verdicts as of an instant use the thresholds in force then, read from the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from events import Protocol
from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.clock import FixedClock
from services.projecting import Projector
from tests.factories import at, document, valid

START = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
CHANGED = START + timedelta(days=1)


def _session_with_a_20_minute_gap() -> list[dict[str, object]]:
    """An IV session whose monitoring gap (20 min) fails at 15 and passes at 25."""
    minute = timedelta(minutes=1)
    booked = {"scheduled_start": START.isoformat()}
    return [
        at(document("session.scheduled", session_id="s-1", payload=booked), START - 30 * minute),
        at(document("session.started", session_id="s-1"), START),
        at(document("vitals.recorded", session_id="s-1"), START + 5 * minute),
        at(document("dose.administered", session_id="s-1"), START + 10 * minute),
        at(document("vitals.recorded", session_id="s-1"), START + 30 * minute),
        at(document("vitals.recorded", session_id="s-1"), START + 50 * minute),
        at(document("patient.discharged", session_id="s-1"), START + 55 * minute),
        at(document("session.ended", session_id="s-1"), START + 56 * minute),
    ]


async def _record(store: SqlEventStore, docs: list[dict[str, object]], when: datetime) -> None:
    await store.record(valid=[valid(d) for d in docs], invalid=[], recorded_at=when)


async def test_a_verdict_as_of_before_a_change_keeps_the_old_limit_and_after_uses_the_new(
    engine: AsyncEngine,
) -> None:
    store = SqlEventStore(engine=engine)
    await _record(store, _session_with_a_20_minute_gap(), START + timedelta(hours=1))
    change = at(
        document(
            "profile.changed",
            payload={"settings": {"monitoring_max_gap_minutes": 25}, "reason": "Clinic policy."},
        ),
        CHANGED,
    )
    await _record(store, [change], CHANGED)
    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()
    queries = SqlComplianceQueries(engine=engine, clock=FixedClock(at=CHANGED + timedelta(days=1)))

    before = await queries.verdict("s-1", as_of=CHANGED - timedelta(minutes=1))
    after = await queries.verdict("s-1", as_of=CHANGED + timedelta(minutes=1))

    assert before.profile_version == 0
    assert before.result("vitals.monitoring_interval").outcome.value == "fail"
    assert after.profile_version == 1
    assert after.result("vitals.monitoring_interval").outcome.value == "pass"
    in_force = await queries.profile_in_force("clinic-demo", Protocol.IV_KETAMINE)
    assert (in_force.version, in_force.author, in_force.reason) == (
        1,
        "dr-okafor",
        "Clinic policy.",
    )


async def test_a_clinic_report_names_the_profile_versions_its_verdicts_used(
    engine: AsyncEngine,
) -> None:
    store = SqlEventStore(engine=engine)
    await _record(store, _session_with_a_20_minute_gap(), START + timedelta(hours=1))
    queries = SqlComplianceQueries(engine=engine, clock=FixedClock(at=CHANGED))
    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()

    report = await queries.clinic_report(
        "clinic-demo", start=START - timedelta(days=1), end=START + timedelta(days=1)
    )

    assert report.profile_versions == {"iv-ketamine": 0}
    assert [s.profile_version for s in report.failing_sessions] == [0]


async def test_an_export_selection_leaves_a_profile_change_in_its_period_out(
    engine: AsyncEngine,
) -> None:
    from services.adapters.sql.export_source import SqlExportSource
    from services.exporting.ports import ExportSelection

    store = SqlEventStore(engine=engine)
    await _record(store, _session_with_a_20_minute_gap(), START + timedelta(hours=1))
    await _record(store, [at(document("profile.changed"), START)], START + timedelta(hours=2))
    last = await store.count()

    source = SqlExportSource(engine=engine)
    selection = ExportSelection(
        clinic_id="clinic-demo",
        start=START - timedelta(days=1),
        end=START + timedelta(days=1),
        patient_id=None,
        size=last,
        last_position=last,
    )
    streams = [stream async for stream, _ in source.clinical_streams(selection)]

    assert streams == ["clinic-demo/session/s-1"]
