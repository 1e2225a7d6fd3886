"""The query port (``services.reading.queries``) on memory, SQLite and PostgreSQL: the
demo day's verdicts, reports, ledger, timelines and reads, answered alike; and on every
backend, what its read models (on SQL, stored verdicts included) answer is what folding
the same log and judging on demand answers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from services.adapters.memory import InMemoryComplianceQueries
from services.clinic_zones import ClinicZones
from services.clock import FixedClock
from services.demo import CLINIC_ZONE, PLANTED_LAPSES, demo_day_events
from services.reading.ports import SessionNotFoundError
from services.reading.queries import HistoryQueries
from tests.contract.conftest import Backend
from tests.factories import at, document, valid

NOW = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)
"""The evening of the demo day at the clinic (21:00 America/Denver)."""
CLINIC = "clinic-demo"
ZONES = ClinicZones(clinics={CLINIC: CLINIC_ZONE.key})
DAY = (NOW - timedelta(days=2), NOW + timedelta(days=1))
LAPSE = "sess-demo-05"
LAPSE_PATIENT = next(
    str(doc["patient_id"]) for doc in demo_day_events(now=NOW) if doc.get("session_id") == LAPSE
)


def _reads() -> list[dict[str, Any]]:
    """Three reads of the demo clinic's patients, two of the lapse's (each read names a
    session of its own patient: the log refuses one naming another's)."""
    return [
        at(
            document(
                "access.recorded",
                clinic_id=CLINIC,
                patient_id=patient,
                session_id=session,
                payload={"token_name": token},
            ),
            NOW - timedelta(hours=hours),
        )
        for patient, session, token, hours in (
            (LAPSE_PATIENT, LAPSE, "officer-a", 3),
            (LAPSE_PATIENT, LAPSE, "officer-b", 2),
            ("pt-other", "sess-other", "officer-a", 1),
        )
    ]


async def _recorded(backend: Backend, documents: list[dict[str, Any]]) -> HistoryQueries:
    await backend.event_store().record(
        valid=[valid(doc) for doc in documents], invalid=[], recorded_at=NOW
    )
    return await backend.compliance_queries(clock=FixedClock(at=NOW), zones=ZONES)


def _told(judged: list[tuple[Any, datetime | None]]) -> list[tuple[Any, str | None]]:
    return [(verdict, None if start is None else start.isoformat()) for verdict, start in judged]


@pytest.fixture
async def queries(backend: Backend) -> HistoryQueries:
    return await _recorded(backend, [*demo_day_events(now=NOW), *_reads()])


async def test_each_planted_lapse_is_found_by_its_rule_and_no_other_session_fails(
    queries: HistoryQueries,
) -> None:
    report = await queries.clinic_report(CLINIC, start=DAY[0], end=DAY[1])
    failing = {item.session_id: set(item.failed_rules) for item in report.failing_sessions}
    assert failing == {session: {rule} for session, rule in PLANTED_LAPSES.items()}
    assert report.sessions == 24
    assert report.by_status["non_compliant"] == len(PLANTED_LAPSES)


async def test_a_sessions_verdict_view_and_timeline_tell_the_same_session(
    queries: HistoryQueries,
) -> None:
    verdict = await queries.verdict(LAPSE)
    view = await queries.view(LAPSE)
    timeline = await queries.timeline(LAPSE)
    assert verdict.result("vitals.bp_at_40_min").detail.startswith("No blood pressure")
    assert view.verdict == verdict
    assert view.timeline == timeline
    # The session's own events, and its patient's (consent, enrolment) around them.
    assert {str(r.event.event_id) for r in view.history.events} <= {
        entry.event_id for entry in timeline.entries
    }
    assert len(view.history.events) > 5
    assert await queries.clinic_and_patient_of(LAPSE) == (CLINIC, verdict.patient_id)


async def test_the_clinics_listed_are_those_with_a_session_in_order(backend: Backend) -> None:
    assert await (await backend.compliance_queries(clock=FixedClock(at=NOW))).clinics() == []
    queries = await _recorded(
        backend,
        [
            *demo_day_events(now=NOW),
            document("vitals.recorded", clinic_id="clinic-b", patient_id="pt-b", session_id="s-b"),
            # A consent is no session: a clinic with only that is not listed.
            document("consent.given", clinic_id="clinic-a", patient_id="pt-a"),
        ],
    )
    assert await queries.clinics() == ["clinic-b", CLINIC]


async def test_an_unknown_session_is_not_found_anywhere(queries: HistoryQueries) -> None:
    assert await queries.clinic_and_patient_of("sess-nobody") is None
    with pytest.raises(SessionNotFoundError):
        await queries.verdict("sess-nobody")
    with pytest.raises(SessionNotFoundError):
        await queries.timeline("sess-nobody")


async def test_the_ledger_holds_every_dose_of_the_day_once(queries: HistoryQueries) -> None:
    documents = demo_day_events(now=NOW)
    doses = {
        str(doc["event_id"])
        for doc in documents
        if doc["event_type"] in ("dose.administered", "dose.wasted")
    }
    ledger = await queries.ledger(CLINIC, start=DAY[0], end=DAY[1])
    assert sorted(line.event_id for line in ledger.lines) == sorted(doses)
    assert ledger.by_medication["ketamine"].administered_mg > 0


async def test_the_access_report_lists_the_reads_filtered_by_patient(
    queries: HistoryQueries,
) -> None:
    every = await queries.access_report(CLINIC, start=DAY[0], end=DAY[1])
    lapse = await queries.access_report(CLINIC, start=DAY[0], end=DAY[1], patient_id=LAPSE_PATIENT)
    assert len(every.lines) == 3
    assert len(lapse.lines) == 2
    assert {line.token_name for line in lapse.lines} == {"officer-a", "officer-b"}


@pytest.mark.parametrize(
    "hours_later",
    # Now (stored verdicts hold), before it (judged on demand), and past every deadline.
    [0, -6, 24 * 10],
)
async def test_the_read_models_answer_as_folding_the_log_does(
    backend: Backend, hours_later: int
) -> None:
    raise_threshold = at(
        document(
            "profile.changed",
            clinic_id=CLINIC,
            payload={"protocol": "iv-ketamine", "settings": {"monitoring_max_gap_minutes": 10}},
        ),
        NOW + timedelta(days=1),
    )
    queries = await _recorded(backend, [*demo_day_events(now=NOW), *_reads(), raise_threshold])
    folded = InMemoryComplianceQueries(
        log=backend.event_store(), clock=FixedClock(at=NOW), zones=ZONES
    )
    as_of = NOW + timedelta(hours=hours_later)
    start, end = DAY
    assert await queries.clinic_report(
        CLINIC, start=start, end=end, as_of=as_of
    ) == await folded.clinic_report(CLINIC, start=start, end=end, as_of=as_of)
    # Starts compared as text too: equal instants told in another offset read otherwise.
    assert _told(await queries.judged_starts(CLINIC, start=start, end=end, as_of=as_of)) == _told(
        await folded.judged_starts(CLINIC, start=start, end=end, as_of=as_of)
    )
    assert await queries.ledger(CLINIC, start=start, end=end, as_of=as_of) == await folded.ledger(
        CLINIC, start=start, end=end, as_of=as_of
    )
    assert await queries.access_report(CLINIC, start=start, end=end) == await folded.access_report(
        CLINIC, start=start, end=end
    )
    sessions = await folded.sessions(CLINIC, start=start, end=end)
    assert [s.session_id for s in await queries.sessions(CLINIC, start=start, end=end)] == [
        s.session_id for s in sessions
    ]
    for session in sessions:
        assert await queries.verdict(session.session_id, as_of=as_of) == await folded.verdict(
            session.session_id, as_of=as_of
        )
        assert await queries.timeline(session.session_id, as_of=as_of) == await folded.timeline(
            session.session_id, as_of=as_of
        )
