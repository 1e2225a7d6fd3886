"""integration.note_within_window, rems.monitoring_form_within_7_days,
documentation.contemporaneous."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events import Protocol
from projections.compliance import Outcome, SessionStatus
from tests.unit.compliance.builders import (
    LATER_SESSION,
    SESSION,
    assert_fails_alone,
    at,
    compliant,
    minutes,
)

NOTE = "integration.note_within_window"
FORM = "rems.monitoring_form_within_7_days"
TIMELY = "documentation.contemporaneous"
IV = Protocol.IV_KETAMINE
SPRAVATO = Protocol.SPRAVATO_REMS
DAYS = timedelta(days=1)
HOURS = timedelta(hours=1)


def test_an_integration_note_two_days_after_the_session_passes() -> None:
    story = compliant(IV)

    result = story.result(NOTE)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("note"), story.event_id("ended"))
    assert result.detail == (
        "The integration note at 2025-03-06 11:00 came 1 day 23 h 55 min after the session's "
        "end at 2025-03-04 11:05, within 7 days."
    )


def test_a_session_never_followed_by_a_note_fails_only_the_integration_rule() -> None:
    story = compliant(IV).drop("note")

    result = assert_fails_alone(story.verdict(), NOTE)

    assert result.evidence == (story.event_id("ended"),)
    assert result.detail == (
        "No integration note was recorded within 7 days of the session's end at "
        "2025-03-04 11:05 (due by 2025-03-11 11:05)."
    )


def test_without_a_note_the_rule_is_pending_on_day_3_and_fails_on_day_8() -> None:
    story = compliant(IV).drop("note")
    end = story.occurred_at("ended")

    day_3 = story.result(NOTE, as_of=end + 3 * DAYS)
    day_8 = story.result(NOTE, as_of=end + 8 * DAYS)

    assert day_3.outcome is Outcome.PENDING
    assert "due by 2025-03-11 11:05" in day_3.detail
    assert day_8.outcome is Outcome.FAIL


def test_a_note_recorded_on_day_5_turns_pending_into_pass() -> None:
    story = compliant(IV)
    end = story.occurred_at("ended")
    story.change("note", at=end + 5 * DAYS)

    assert story.result(NOTE, as_of=end + 3 * DAYS).outcome is Outcome.PENDING
    assert story.result(NOTE, as_of=end + 8 * DAYS).outcome is Outcome.PASS


def test_a_note_is_ignored_until_it_is_recorded() -> None:
    story = compliant(IV)
    end = story.occurred_at("ended")
    story.change("note", at=end + 5 * DAYS, recorded_at=end + 9 * DAYS)

    assert story.result(NOTE, as_of=end + 8 * DAYS).outcome is Outcome.FAIL
    assert story.result(NOTE, as_of=end + 9 * DAYS).outcome is Outcome.PASS


@pytest.mark.parametrize(
    ("after_end", "outcome"),
    [(7 * DAYS, Outcome.PASS), (7 * DAYS + minutes(1), Outcome.FAIL)],
    ids=["exactly 7 days", "7 days and a minute"],
)
def test_the_note_is_due_within_7_days_of_the_end(after_end: timedelta, outcome: Outcome) -> None:
    story = compliant(IV)
    story.change("note", at=story.occurred_at("ended") + after_end)

    result = story.result(NOTE)

    assert result.outcome is outcome
    if outcome is Outcome.FAIL:
        assert "the one at 2025-03-11 11:06 came 7 days 1 min after" in result.detail
        assert story.event_id("note") in result.evidence


def test_a_clinic_can_allow_longer_for_the_note() -> None:
    story = compliant(IV)
    story.change("note", at=story.occurred_at("ended") + 10 * DAYS)

    assert story.result(NOTE, integration_note_window_days=14).outcome is Outcome.PASS


def test_a_note_recorded_in_this_sessions_own_history_counts() -> None:
    story = compliant(IV).change("note", session_id=SESSION)

    assert story.result(NOTE).outcome is Outcome.PASS


def test_a_note_in_this_session_about_another_session_does_not_count() -> None:
    story = compliant(IV).change("note", session_id=SESSION, integrates_session_id="sess-0041")

    assert story.result(NOTE).outcome is Outcome.FAIL


def test_a_note_corrected_to_integrate_another_session_stops_counting_once_corrected() -> None:
    story = compliant(IV)
    story.amend(
        "fix", target="note", at=story.occurred_at("note") + DAYS, integrates_session_id="sess-0041"
    )
    fixed = story.recorded_at("fix")

    assert story.judged(as_of=fixed - minutes(1)).result(NOTE).outcome is Outcome.PASS
    assert story.judged(as_of=fixed).result(NOTE).outcome is Outcome.PENDING
    assert_fails_alone(story.judged(), NOTE)
    assert story.result(NOTE).outcome is Outcome.FAIL


def test_a_note_corrected_to_integrate_this_session_counts_once_corrected() -> None:
    story = compliant(IV).change("note", integrates_session_id="sess-0041")
    story.amend(
        "fix", target="note", at=story.occurred_at("note") + DAYS, integrates_session_id=SESSION
    )
    fixed = story.recorded_at("fix")

    before = story.judged(as_of=fixed - minutes(1)).result(NOTE)
    after = story.judged().result(NOTE)

    assert before.outcome is Outcome.PENDING
    assert after.outcome is Outcome.PASS
    assert after.evidence == (story.event_id("note"), story.event_id("ended"))
    assert story.result(NOTE).outcome is Outcome.PASS


@pytest.mark.parametrize(
    "owner",
    [{"patient_id": "pt-other"}, {"clinic_id": "clinic-other", "patient_id": "pt-other"}],
    ids=["another patient's note", "another clinic's note"],
)
def test_a_note_naming_this_session_for_another_patient_or_clinic_does_not_count(
    owner: dict[str, str],
) -> None:
    story = compliant(IV).change("note", **owner)

    assert story.result(NOTE).outcome is Outcome.FAIL
    assert_fails_alone(story.judged(), NOTE)


def test_the_integration_note_is_not_judged_while_the_session_is_open() -> None:
    story = compliant(IV).drop("ended")

    result = story.result(NOTE)

    assert result.outcome is Outcome.PENDING
    assert "still open" in result.detail


def test_a_monitoring_form_submitted_the_next_day_passes() -> None:
    story = compliant(SPRAVATO)

    result = story.result(FORM)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("form"), story.event_id("ended"))
    assert "SPRAVATO Patient Monitoring Form at 2025-03-05 11:15" in result.detail


def test_a_missing_monitoring_form_fails_only_that_rule() -> None:
    story = compliant(SPRAVATO).drop("form")

    result = assert_fails_alone(story.verdict(), FORM)

    assert result.detail == (
        "No SPRAVATO Patient Monitoring Form was recorded within 7 days of the session's end "
        "at 2025-03-04 11:20 (due by 2025-03-11 11:20)."
    )


@pytest.mark.parametrize(
    ("after_end", "outcome"),
    [(7 * DAYS, Outcome.PASS), (7 * DAYS + minutes(1), Outcome.FAIL)],
    ids=["exactly 7 days", "7 days and a minute"],
)
def test_the_monitoring_form_is_due_within_7_days(after_end: timedelta, outcome: Outcome) -> None:
    story = compliant(SPRAVATO)
    story.change("form", at=story.occurred_at("ended") + after_end)

    assert story.result(FORM).outcome is outcome


def test_the_monitoring_form_is_pending_until_its_deadline_then_fails() -> None:
    story = compliant(SPRAVATO).drop("form")
    end = story.occurred_at("ended")

    assert story.result(FORM, as_of=end + 6 * DAYS).outcome is Outcome.PENDING
    assert story.result(FORM, as_of=end + 7 * DAYS + minutes(1)).outcome is Outcome.FAIL


def test_a_session_never_closed_owes_the_form_7_days_after_its_first_dose() -> None:
    story = compliant(SPRAVATO).drop("ended", "form")

    result = story.result(FORM, as_of=at("09:11", day=7))

    assert result.outcome is Outcome.FAIL
    assert "within 7 days of the first dose at 2025-03-04 09:10" in result.detail


def test_events_recorded_a_minute_after_they_happened_are_contemporaneous() -> None:
    result = compliant(IV).result(TIMELY)

    assert result.outcome is Outcome.PASS
    assert result.detail == (
        "All 14 events of the session were recorded within 24 h of happening "
        "(the longest delay was 1 min)."
    )


@pytest.mark.parametrize(
    ("delay", "outcome"),
    [(24 * 60, Outcome.PASS), (24 * 60 + 1, Outcome.FAIL)],
    ids=["24 h later", "24 h and a minute later"],
)
def test_an_event_must_be_recorded_within_24_hours(delay: int, outcome: Outcome) -> None:
    story = compliant(IV)
    story.change("dose", recorded_at=story.occurred_at("dose") + minutes(delay))

    assert story.result(TIMELY).outcome is outcome


def test_a_dose_recorded_two_days_late_fails_only_that_rule() -> None:
    story = compliant(IV).change("dose", recorded_at=at("10:00", day=2))

    result = assert_fails_alone(story.verdict(), TIMELY)

    assert result.evidence == (story.event_id("dose"),)
    assert result.detail == (
        "The dose of 2025-03-04 09:10 was recorded at 2025-03-06 10:00, 2 days 50 min later "
        "(at most 24 h allowed)."
    )


def test_a_late_note_from_a_later_session_is_late_there_not_in_the_session_it_integrates() -> None:
    story = compliant(IV).add(
        "therapy booking",
        "session.scheduled",
        at=at("11:00", day=1),
        session_id=LATER_SESSION,
        protocol="iv-ketamine",
        scheduled_start=at("11:00", day=2),
    )
    story.change("note", recorded_at=story.occurred_at("note") + 30 * HOURS)

    integrated = story.judged()
    therapy = story.judged(session_id=LATER_SESSION)

    assert integrated.status is SessionStatus.COMPLIANT
    assert integrated.result(TIMELY).detail == (
        "All 14 events of the session were recorded within 24 h of happening "
        "(the longest delay was 1 min)."
    )
    assert therapy.result(TIMELY).outcome is Outcome.FAIL
    assert therapy.result(TIMELY).evidence == (story.event_id("note"),)


def test_a_clinic_can_allow_more_time_to_record() -> None:
    story = compliant(IV).change("dose", recorded_at=at("10:00", day=2))

    assert story.result(TIMELY, documentation_max_delay_hours=72).outcome is Outcome.PASS
