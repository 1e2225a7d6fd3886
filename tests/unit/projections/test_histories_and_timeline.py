"""Session and patient histories, the timeline, and amendments, as pure folds."""

from __future__ import annotations

import dataclasses
import random
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events import Protocol
from projections import PATIENTS, SESSIONS, Recorded, SessionHistory, fold
from projections.timeline import build_timeline
from tests.unit.projections.builders import T0, Log


def _session_log() -> tuple[Log, list[Recorded]]:
    log = Log()
    events = [
        log.add("consent.given", minute=-60 * 24 * 3),
        log.add("session.scheduled", minute=-30, session_id="s-1"),
        log.add("session.started", minute=0, session_id="s-1"),
        log.add(
            "vitals.recorded",
            minute=5,
            session_id="s-1",
            payload={"systolic_mmhg": 152, "diastolic_mmhg": 95},
        ),
        log.add("dose.administered", minute=10, session_id="s-1"),
        log.add("session.started", minute=0, session_id="s-2"),
    ]
    return log, events


def test_each_event_goes_to_its_session_and_consent_to_the_patient() -> None:
    _, events = _session_log()
    sessions = fold(SESSIONS, {}, events)
    patients = fold(PATIENTS, {}, events)
    assert sorted(sessions) == ["s-1", "s-2"]
    assert [r.event.event_type for r in sessions["s-1"].events] == [
        "session.scheduled",
        "session.started",
        "vitals.recorded",
        "dose.administered",
    ]
    [patient] = patients.values()
    assert [r.event.event_type for r in patient.events] == ["consent.given"]


def test_folding_an_event_twice_changes_nothing() -> None:
    _, events = _session_log()
    once = fold(SESSIONS, {}, events)
    assert fold(SESSIONS, once, events) == once


def test_an_integration_note_from_a_later_session_joins_the_session_it_integrates() -> None:
    log = Log()
    note = log.add(
        "integration_note.recorded",
        minute=60 * 24 * 2,
        session_id="therapy-9",
        payload={"integrates_session_id": "s-1"},
    )
    sessions = fold(SESSIONS, {}, [note])
    assert sessions["s-1"].events == sessions["therapy-9"].events == (note,)


def test_a_history_survives_its_json_round_trip() -> None:
    _, events = _session_log()
    history = fold(SESSIONS, {}, events)["s-1"]
    assert SessionHistory.from_document(history.to_document()) == history


def test_the_timeline_orders_by_clinical_time_and_summarizes_each_event() -> None:
    _, events = _session_log()
    session = fold(SESSIONS, {}, events)["s-1"]
    patient = next(iter(fold(PATIENTS, {}, events).values()))
    timeline = build_timeline(session=session, patient=patient, as_of=T0 + timedelta(days=1))
    assert [e.event_type for e in timeline.entries] == [
        "consent.given",
        "session.scheduled",
        "session.started",
        "vitals.recorded",
        "dose.administered",
    ]
    assert timeline.entries[0].scope == "patient"
    assert timeline.entries[3].summary.startswith("BP 152/95, HR")
    assert timeline.protocol is not None


def test_the_timeline_as_of_an_instant_leaves_out_what_was_recorded_later() -> None:
    _, events = _session_log()
    session = fold(SESSIONS, {}, events)["s-1"]
    timeline = build_timeline(session=session, patient=None, as_of=T0 + timedelta(minutes=7))
    assert [e.event_type for e in timeline.entries] == [
        "session.scheduled",
        "session.started",
        "vitals.recorded",
    ]


def test_an_amendment_shows_the_corrected_value_beside_the_original_with_its_reason() -> None:
    log, events = _session_log()
    reading = events[3]
    amendment = log.add(
        "record.amended",
        minute=30,
        session_id="s-1",
        payload={
            "amends_event_id": reading.event_id,
            "reason": "transcription error",
            "corrected": {"systolic_mmhg": 132, "diastolic_mmhg": 85},
        },
    )
    session = fold(SESSIONS, {}, [*events, amendment])["s-1"]
    entries = build_timeline(session=session, patient=None, as_of=T0 + timedelta(days=1)).entries
    corrected = next(e for e in entries if e.event_id == reading.event_id)
    assert corrected.summary.startswith("BP 132/85")
    assert corrected.original_summary is not None
    assert corrected.original_summary.startswith("BP 152/95")
    [note] = corrected.amendments
    assert (note.event_id, note.reason) == (amendment.event_id, "transcription error")
    assert any(e.event_type == "record.amended" for e in entries)
    before = build_timeline(
        session=session, patient=None, as_of=amendment.recorded_at - timedelta(seconds=1)
    )
    assert next(e for e in before.entries if e.event_id == reading.event_id).amendments == ()


def test_an_amendment_that_would_break_the_contract_is_kept_aside_with_its_reason() -> None:
    log, events = _session_log()
    amendment = log.add(
        "record.amended",
        minute=30,
        session_id="s-1",
        payload={
            "amends_event_id": events[3].event_id,
            "reason": "typo",
            # Valid as a systolic pressure, but not above this check's diastolic 95.
            "corrected": {"systolic_mmhg": 90},
        },
    )
    session = fold(SESSIONS, {}, [*events, amendment])["s-1"]
    entries = build_timeline(session=session, patient=None, as_of=T0 + timedelta(days=1)).entries
    reading = next(e for e in entries if e.event_id == events[3].event_id)
    assert reading.amendments == ()
    assert "systolic_mmhg" in reading.rejected_amendments[0]


@settings(max_examples=40, deadline=None)
@given(st.randoms(use_true_random=False))
def test_replaying_the_streams_in_any_interleaving_gives_the_same_read_models(
    rng: random.Random,
) -> None:
    log = Log()
    streams = {
        f"s-{n}": [log.add("vitals.recorded", minute=5 * i, session_id=f"s-{n}") for i in range(4)]
        for n in range(3)
    }
    patient = [log.add("consent.given", minute=-10, patient_id="pt-x") for _ in range(2)]
    streams["patient"] = patient
    in_order = sorted((r for rs in streams.values() for r in rs), key=lambda r: r.position)
    # Any interleaving that keeps each stream's own order, as Kafka partitions allow.
    pending = {name: list(rs) for name, rs in streams.items()}
    shuffled: list[Recorded] = []
    while pending:
        name = rng.choice(sorted(pending))
        shuffled.append(pending[name].pop(0))
        if not pending[name]:
            del pending[name]
    for projection in (SESSIONS, PATIENTS):
        assert fold(projection, {}, shuffled) == fold(projection, {}, in_order)


def test_a_recorded_read_joins_no_clinical_history() -> None:
    log = Log()
    read = log.add("access.recorded", minute=5, session_id="s-1")
    assert fold(SESSIONS, {}, [read]) == {}
    assert fold(PATIENTS, {}, [read]) == {}


def test_a_corrected_booking_gives_the_history_and_timeline_its_corrected_protocol() -> None:
    log, events = _session_log()
    booking = events[1]
    moved = T0 + timedelta(hours=1)
    amendment = log.add(
        "record.amended",
        minute=30,
        session_id="s-1",
        payload={
            "amends_event_id": booking.event_id,
            "reason": "booked under the wrong protocol",
            "corrected": {"protocol": "spravato-rems", "scheduled_start": moved.isoformat()},
        },
    )
    session = fold(SESSIONS, {}, [*events, amendment])["s-1"]

    assert session.protocol is Protocol.SPRAVATO_REMS
    assert session.scheduled_start == moved
    assert session.as_of(amendment.recorded_at - timedelta(seconds=1)).protocol is not (
        Protocol.SPRAVATO_REMS
    )
    timeline = build_timeline(session=session, patient=None, as_of=T0 + timedelta(days=1))
    assert timeline.protocol == "spravato-rems"


def test_an_event_of_another_patient_naming_a_session_stays_out_of_its_history() -> None:
    log, events = _session_log()
    stranger = log.add("vitals.recorded", minute=20, session_id="s-1", patient_id="pt-other")
    typo = log.add(
        "integration_note.recorded",
        minute=60 * 24 * 2,
        session_id="therapy-9",
        clinic_id="clinic-other",
        payload={"integrates_session_id": "s-1"},
    )

    sessions = fold(SESSIONS, {}, [*events, stranger, typo])

    assert [r.event_id for r in sessions["s-1"].events] == [r.event_id for r in events[1:5]]
    assert sessions["therapy-9"].events == (typo,)


def test_a_note_corrected_to_integrate_another_session_moves_to_that_sessions_timeline() -> None:
    log, events = _session_log()
    note = log.add(
        "integration_note.recorded",
        minute=60 * 24 * 2,
        session_id="therapy-9",
        payload={"integrates_session_id": "s-1"},
    )
    fix = log.add(
        "record.amended",
        minute=60 * 24 * 3,
        session_id="therapy-9",
        payload={
            "amends_event_id": note.event_id,
            "reason": "wrong session",
            "corrected": {"integrates_session_id": "s-2"},
        },
    )
    everything = [*events, note, fix]
    sessions = fold(SESSIONS, {}, everything)
    [patient] = fold(PATIENTS, {}, everything).values()
    later = T0 + timedelta(days=4)

    def notes_shown(session_id: str) -> list[str]:
        timeline = build_timeline(session=sessions[session_id], patient=patient, as_of=later)
        return [e.event_id for e in timeline.entries if e.event_type == note.event.event_type]

    assert [r.event_id for r in patient.events] == [events[0].event_id, note.event_id, fix.event_id]
    assert notes_shown("s-1") == []
    assert notes_shown("s-2") == [note.event_id]
    assert notes_shown("therapy-9") == [note.event_id]
    shown = build_timeline(session=sessions["s-2"], patient=patient, as_of=later).entries
    assert [a.event_id for e in shown if e.event_id == note.event_id for a in e.amendments] == [
        fix.event_id
    ]
    assert all(e.scope == "session" for e in shown if e.event_type != "consent.given")


def test_an_event_the_fold_fails_on_is_left_out_of_every_entry_and_reported() -> None:
    _, events = _session_log()
    poison = events[3]

    def evolve(state: SessionHistory | None, recorded: Recorded, *, key: str) -> SessionHistory:
        if recorded is poison:
            raise ValueError("cannot fold this")
        return SESSIONS.evolve(state, recorded, key=key)

    faults: list[tuple[str, str]] = []
    folded = fold(
        dataclasses.replace(SESSIONS, evolve=evolve),
        {},
        events,
        on_fault=lambda recorded, problem: faults.append((recorded.event_id, str(problem))),
    )
    assert faults == [(poison.event_id, "cannot fold this")]
    assert poison.event_id not in [r.event_id for r in folded["s-1"].events]
    assert len(folded["s-1"].events) == 3


def test_without_a_fault_handler_the_fold_raises() -> None:
    _, events = _session_log()

    def evolve(state: SessionHistory | None, recorded: Recorded, *, key: str) -> SessionHistory:
        raise ValueError("cannot fold this")

    with pytest.raises(ValueError, match="cannot fold this"):
        fold(dataclasses.replace(SESSIONS, evolve=evolve), {}, events)
