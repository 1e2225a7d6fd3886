"""The demo month: four weeks of a busy clinic, judged by the real rules as the log would be.

The month's documents are folded into histories with the times the replay records them, and
judged by the shipped profiles, exactly as the read models do after ``kapaudit up --demo``.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest

from events import parse_event
from projections.compliance import SessionStatus, SessionVerdict
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
from projections.reports import build_clinic_report
from projections.verdicts import judge
from services.demo import DemoMonth, demo_month, demo_month_events
from services.profiles import ClinicProfiles

DENVER = ZoneInfo("America/Denver")
# A Tuesday early afternoon at the clinic: today's morning sessions are under way or done.
NOW = datetime(2026, 11, 24, 20, 10, tzinfo=UTC)
DECIDED = {SessionStatus.COMPLIANT, SessionStatus.NON_COMPLIANT}


def judged(month: DemoMonth) -> dict[str, tuple[SessionHistory, SessionVerdict]]:
    sessions: dict[str, SessionHistory] = {}
    patients: dict[str, PatientHistory] = {}
    position = 0
    for batch in month.batches:
        for document in batch.documents:
            position += 1
            event = parse_event(json.dumps(document).encode("utf-8"))
            recorded = Recorded(event=event, position=position, recorded_at=batch.record_at)
            for key in session_keys(recorded):
                sessions[key] = evolve_session(sessions.get(key), recorded, key=key)
            for key in patient_keys(recorded):
                patients[key] = evolve_patient(patients.get(key), recorded, key=key)
    profiles = ClinicProfiles()
    return {
        session_id: (
            history,
            judge(
                session=history,
                patient=patients.get(
                    patient_key_of(clinic_id=history.clinic_id, patient_id=history.patient_id)
                ),
                profile_for=partial(profiles.for_clinic, history.clinic_id),
                as_of=month.now,
            ),
        )
        for session_id, history in sessions.items()
    }


@pytest.fixture(scope="module")
def month() -> DemoMonth:
    return demo_month(now=NOW)


@pytest.fixture(scope="module")
def verdicts(month: DemoMonth) -> dict[str, tuple[SessionHistory, SessionVerdict]]:
    return judged(month)


def test_the_month_spans_four_weeks_of_weekday_sessions_and_quiet_weekends(
    verdicts: dict[str, tuple[SessionHistory, SessionVerdict]],
) -> None:
    days = Counter(
        history.scheduled_start.astimezone(DENVER).date()
        for history, _ in verdicts.values()
        if history.scheduled_start is not None
    )
    today = NOW.astimezone(DENVER).date()
    assert min(days) >= today - timedelta(days=27)
    assert max(days) == today
    weekdays = [day for day in days if day.weekday() < 5]
    assert len(weekdays) >= 19
    assert not [day for day in days if day.weekday() == 6], "Sundays are closed"
    saturdays = [count for day, count in days.items() if day.weekday() == 5]
    weekday_mean = sum(days[day] for day in weekdays) / len(weekdays)
    assert saturdays
    assert max(saturdays) < weekday_mean / 2


def test_the_month_draws_on_every_protocol_for_a_panel_of_returning_patients(
    verdicts: dict[str, tuple[SessionHistory, SessionVerdict]],
) -> None:
    protocols = Counter(history.protocol for history, _ in verdicts.values())
    visits = Counter(history.patient_id for history, _ in verdicts.values())
    assert len(protocols) == 4
    assert min(protocols.values()) >= 10
    assert 100 <= len(verdicts) <= 200
    assert 25 <= len(visits) <= 50
    # SPRAVATO induction: twice a week for four weeks.
    assert max(visits.values()) >= 7


def test_most_sessions_are_decided_and_a_few_recent_ones_pending(
    month: DemoMonth, verdicts: dict[str, tuple[SessionHistory, SessionVerdict]]
) -> None:
    statuses = Counter(verdict.status for _, verdict in verdicts.values())
    decided = statuses[SessionStatus.COMPLIANT] + statuses[SessionStatus.NON_COMPLIANT]
    assert decided / len(verdicts) >= 0.8
    assert 5 <= statuses[SessionStatus.PENDING] <= 0.2 * len(verdicts)
    week_ago = NOW - timedelta(days=8)
    for history, verdict in verdicts.values():
        assert history.scheduled_start is not None
        if history.scheduled_start < week_ago:
            assert verdict.status in DECIDED, verdict.session_id
    assert set(month.session_ids) == set(verdicts)


def test_the_failing_sessions_are_exactly_the_planted_lapses_one_rule_each(
    month: DemoMonth, verdicts: dict[str, tuple[SessionHistory, SessionVerdict]]
) -> None:
    failing = {
        session_id: {result.rule_id for result in verdict.failed_rules}
        for session_id, (_, verdict) in verdicts.items()
        if verdict.failed_rules
    }
    assert failing == {session: {rule} for session, rule in month.planted_lapses.items()}
    # A realistic handful: a few per cent of the month's sessions.
    assert 5 <= len(failing) <= 0.08 * len(verdicts)
    assert {
        "consent.before_first_dose",
        "controlled_substance.waste_witnessed",
        "documentation.contemporaneous",
        "vitals.monitoring_interval",
    } <= set(month.planted_lapses.values())


def test_the_same_now_gives_the_same_event_ids_and_documents(month: DemoMonth) -> None:
    again = demo_month_events(now=NOW)
    assert again == month.documents
    ids = [document["event_id"] for document in again]
    assert len(set(ids)) == len(ids)


def test_later_the_same_day_the_events_already_published_keep_their_ids(
    month: DemoMonth,
) -> None:
    later = {d["event_id"]: d for d in demo_month_events(now=NOW + timedelta(hours=3))}
    assert all(later.get(d["event_id"]) == d for d in month.documents)
    assert len(later) > len(month.documents)


def test_nothing_happens_or_is_recorded_after_now(month: DemoMonth) -> None:
    for batch in month.batches:
        assert batch.record_at <= NOW
        for document in batch.documents:
            assert datetime.fromisoformat(document["occurred_at"]) <= batch.record_at
    recorded_at = [batch.record_at for batch in month.batches]
    assert recorded_at == sorted(recorded_at)


def test_every_patient_consents_and_enrols_before_their_first_session_but_the_planted_one(
    month: DemoMonth, verdicts: dict[str, tuple[SessionHistory, SessionVerdict]]
) -> None:
    for session_id, (history, verdict) in verdicts.items():
        if not any(r.event.event_type == "dose.administered" for r in history.events):
            assert verdict.status is SessionStatus.OPEN  # booked for later today
            continue
        if month.planted_lapses.get(session_id) != "consent.before_first_dose":
            assert verdict.result("consent.before_first_dose").outcome == "pass", session_id
        if verdict.protocol == "spravato-rems":
            assert verdict.result("rems.enrolled_before_dose").outcome == "pass", session_id


def test_a_report_of_the_month_shows_a_weekly_trend_of_at_least_four_weeks(
    month: DemoMonth, verdicts: dict[str, tuple[SessionHistory, SessionVerdict]]
) -> None:
    report = build_clinic_report(
        ((verdict, history.scheduled_start or NOW) for history, verdict in verdicts.values()),
        clinic_id="clinic-demo",
        start=NOW - timedelta(days=28),
        end=NOW + timedelta(days=1),
        as_of=NOW,
    )
    busy = [week for week in report.weeks if week.sessions >= 10]
    assert len(busy) >= 4
    assert report.by_status["non_compliant"] == len(month.planted_lapses)


@pytest.mark.parametrize("days_later", range(0, 35, 5))
def test_any_day_of_the_year_gives_a_month_whose_only_failures_are_planted(
    days_later: int,
) -> None:
    month = demo_month(now=NOW + timedelta(days=days_later * 7.3, hours=days_later))
    failing = {
        session_id: {result.rule_id for result in verdict.failed_rules}
        for session_id, (_, verdict) in judged(month).items()
        if verdict.failed_rules
    }
    assert failing == {session: {rule} for session, rule in month.planted_lapses.items()}
    assert len(month.planted_lapses) >= 6


def test_a_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        demo_month(now=datetime(2026, 11, 24, 12, 0))
