"""How long a verdict stays valid: judging anywhere before ``valid_until`` changes nothing.

``judge_until`` answers a verdict and the instant it stops being valid without a new event.
The property is checked on the demo day (as it unfolds, sessions under way) and on the
demo month (deadlines of integration notes and REMS forms), at instants just after the
judgement, halfway, and just before ``valid_until``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from events import Protocol, parse_event
from projections import ProfileHistory, ProtocolProfile
from projections.compliance import Outcome, SessionStatus, SessionVerdict
from projections.compliance.validity import ONE_INSTANT
from projections.history import (
    PatientHistory,
    SessionHistory,
    evolve_patient,
    evolve_session,
    patient_key_of,
    patient_keys,
    session_keys,
)
from projections.recorded import Recorded
from projections.verdicts import judge_until
from services.demo import DEFAULT_DAY, demo_day_events, demo_month

DENVER = ZoneInfo("America/Denver")
MONTH_NOW = datetime(2026, 11, 24, 20, 10, tzinfo=UTC)

Histories = tuple[dict[str, SessionHistory], dict[str, PatientHistory]]


def _fold(recorded: list[Recorded]) -> Histories:
    sessions: dict[str, SessionHistory] = {}
    patients: dict[str, PatientHistory] = {}
    for entry in recorded:
        for key in session_keys(entry):
            sessions[key] = evolve_session(sessions.get(key), entry, key=key)
        for key in patient_keys(entry):
            patients[key] = evolve_patient(patients.get(key), entry, key=key)
    return sessions, patients


@pytest.fixture(scope="module")
def day() -> Histories:
    # Each event recorded three minutes after it happened, as a live feed would.
    documents = demo_day_events()
    recorded = []
    for position, document in enumerate(documents, start=1):
        event = parse_event(json.dumps(document).encode("utf-8"))
        at = event.occurred_at.astimezone(UTC) + timedelta(minutes=3)
        recorded.append(Recorded(event=event, position=position, recorded_at=at))
    return _fold(recorded)


@pytest.fixture(scope="module")
def month() -> Histories:
    month = demo_month(now=MONTH_NOW)
    recorded = []
    for batch in month.batches:
        for document in batch.documents:
            event = parse_event(json.dumps(document).encode("utf-8"))
            recorded.append(
                Recorded(event=event, position=len(recorded) + 1, recorded_at=batch.record_at)
            )
    return _fold(recorded)


def _patient(histories: Histories, session: SessionHistory) -> PatientHistory | None:
    key = patient_key_of(clinic_id=session.clinic_id, patient_id=session.patient_id)
    return histories[1].get(key)


def _probes(at: datetime, until: datetime | None) -> list[datetime]:
    end = until if until is not None else at + timedelta(days=60)
    probes = [at + ONE_INSTANT, at + (end - at) / 2, end - ONE_INSTANT]
    return [probe for probe in probes if at < probe < end]


def _assert_valid_until(
    histories: Histories, at: datetime, *, profiles: ProfileHistory | None = None
) -> list[datetime | None]:
    profiles = profiles or ProfileHistory()
    untils = []
    for session in histories[0].values():
        patient = _patient(histories, session)
        verdict, until = judge_until(
            session=session, patient=patient, profiles=profiles, as_of=at, zone=DENVER
        )
        assert until is None or until >= at
        untils.append(until)
        stored = SessionVerdict.from_document(json.loads(json.dumps(verdict.to_document())))
        assert stored.to_document() == verdict.to_document()
        for probe in _probes(at, until):
            later, _ = judge_until(
                session=session, patient=patient, profiles=profiles, as_of=probe, zone=DENVER
            )
            assert later == replace(verdict, as_of=probe), (session.session_id, at, probe)
    return untils


DAY_INSTANTS = [
    datetime.combine(DEFAULT_DAY, datetime.min.time(), tzinfo=DENVER) + timedelta(hours=hours)
    for hours in (7.5, 9.25, 10.0, 11.6, 13.0, 16.0, 24 * 3, 24 * 7 + 20, 24 * 9)
]


@pytest.mark.parametrize("at", DAY_INSTANTS, ids=lambda at: at.isoformat())
def test_a_demo_day_verdict_holds_at_every_instant_before_it_stops_being_valid(
    day: Histories, at: datetime
) -> None:
    _assert_valid_until(day, at)


@pytest.mark.parametrize(
    "at",
    [MONTH_NOW - timedelta(days=days) for days in (20, 9.5, 6, 2)] + [MONTH_NOW],
    ids=lambda at: at.isoformat(),
)
def test_a_demo_month_verdict_holds_at_every_instant_before_it_stops_being_valid(
    month: Histories, at: datetime
) -> None:
    _assert_valid_until(month, at)


def test_a_session_under_way_is_valid_only_at_the_instant_it_was_judged(day: Histories) -> None:
    at = datetime.combine(DEFAULT_DAY, datetime.min.time(), tzinfo=DENVER) + timedelta(hours=9)
    under_way = [
        (session, until)
        for session in day[0].values()
        for verdict, until in [
            judge_until(
                session=session,
                patient=_patient(day, session),
                profiles=ProfileHistory(),
                as_of=at,
            )
        ]
        if verdict.status is SessionStatus.OPEN
        and verdict.protocol is not Protocol.SPRAVATO_REMS
        and verdict.result("vitals.monitoring_interval").outcome is Outcome.PENDING
        and session.as_of(at).events
        and any(r.event.event_type == "dose.administered" for r in session.as_of(at).events)
    ]
    assert under_way
    assert all(until == at for _, until in under_way)


def test_a_pending_note_verdict_is_valid_until_the_next_minute_it_tells(month: Histories) -> None:
    # "No integration note yet (as of 2026-11-24 13:10)" reads otherwise a minute later.
    at = MONTH_NOW + timedelta(seconds=20)
    pending = []
    for session in month[0].values():
        verdict, until = judge_until(
            session=session,
            patient=_patient(month, session),
            profiles=ProfileHistory(),
            as_of=at,
            zone=DENVER,
        )
        if verdict.status is SessionStatus.PENDING:
            pending.append(until)
    assert pending
    assert set(pending) == {MONTH_NOW + timedelta(minutes=1)}


def test_a_decided_session_with_nothing_ahead_stays_valid_for_good(month: Histories) -> None:
    at = MONTH_NOW
    untils = _assert_valid_until(month, at)
    assert untils.count(None) >= 0.7 * len(untils)


def test_a_profile_version_coming_into_force_ends_the_validity(month: Histories) -> None:
    session = next(s for s in month[0].values() if s.protocol is Protocol.IV_KETAMINE and s.ended)
    takes_effect = MONTH_NOW + timedelta(days=3)
    profile = ProtocolProfile.shipped(session.clinic_id, Protocol.IV_KETAMINE)._with(
        changed={"monitoring_max_gap_minutes": 12},
        author="officer",
        reason="tighter",
        effective_at=takes_effect,
        recorded_at=MONTH_NOW - timedelta(days=1),
        event_id="00000000-0000-0000-0000-000000000001",
        position=10**6,
    )
    profiles = ProfileHistory([profile])
    _, until = judge_until(
        session=session, patient=_patient(month, session), profiles=profiles, as_of=MONTH_NOW
    )
    assert until is not None
    assert until <= takes_effect
