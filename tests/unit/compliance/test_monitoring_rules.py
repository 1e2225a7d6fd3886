"""vitals.monitoring_interval and adverse_event.followed_by_check."""

from __future__ import annotations

import pytest

from events import Protocol
from projections.compliance import Outcome, load_profile
from tests.unit.compliance.builders import assert_fails_alone, at, compliant

INTERVAL = "vitals.monitoring_interval"
ADVERSE = "adverse_event.followed_by_check"
IV = Protocol.IV_KETAMINE
IM = Protocol.IM_KETAMINE
SUBLINGUAL = Protocol.SUBLINGUAL_KETAMINE
SPRAVATO = Protocol.SPRAVATO_REMS


@pytest.mark.parametrize("protocol", [IV, IM, SUBLINGUAL])
def test_checks_every_15_minutes_from_dose_to_discharge_pass(protocol: Protocol) -> None:
    story = compliant(protocol)

    result = story.result(INTERVAL)

    assert result.outcome is Outcome.PASS
    assert story.event_id("dose") in result.evidence
    assert story.event_id("discharge") in result.evidence
    assert "longest gap 15 min" in result.detail


def test_a_missing_check_leaves_a_30_minute_gap_that_fails_only_the_interval_rule() -> None:
    story = compliant(IV).drop("check 10:10")

    result = assert_fails_alone(story.verdict(), INTERVAL)

    assert result.evidence == (story.event_id("check 09:55"), story.event_id("check 10:25"))
    assert result.detail == (
        "No monitoring check for 30 min, between the check at 09:55 and the check at 10:25 "
        "(at most 15 min is allowed)."
    )


@pytest.mark.parametrize(
    ("clock", "outcome"),
    [("09:25", Outcome.PASS), ("09:26", Outcome.FAIL)],
    ids=["15 min after the dose", "16 min after the dose"],
)
def test_the_gap_from_the_dose_to_the_first_check_counts(clock: str, outcome: Outcome) -> None:
    story = compliant(IV).change("check 09:25", at=at(clock))

    result = story.result(INTERVAL)

    assert result.outcome is outcome
    if outcome is Outcome.FAIL:
        assert "between the first dose at 09:10 and the check at 09:26" in result.detail


@pytest.mark.parametrize(
    ("clock", "outcome"),
    [("10:40", Outcome.PASS), ("10:41", Outcome.FAIL)],
    ids=["15 min after the last check", "16 min after the last check"],
)
def test_the_gap_from_the_last_check_to_discharge_counts(clock: str, outcome: Outcome) -> None:
    story = compliant(IM).change("discharge", at=at(clock))

    result = story.result(INTERVAL)

    assert result.outcome is outcome
    if outcome is Outcome.FAIL:
        assert "between the check at 10:25 and discharge at 10:41" in result.detail


def test_checks_after_discharge_do_not_close_a_gap_before_it() -> None:
    story = compliant(IM).drop("check 10:25").add("late check", "vitals.recorded", at=at("10:32"))

    assert story.result(INTERVAL).outcome is Outcome.FAIL


def test_an_open_session_is_pending_while_checks_keep_coming_and_fails_once_one_is_overdue() -> (
    None
):
    story = compliant(IM).drop("discharge", "ended", "check 10:10")

    on_time = story.result(INTERVAL, as_of=at("10:05"))
    overdue = story.result(INTERVAL, as_of=at("10:11"))

    assert on_time.outcome is Outcome.PENDING
    assert "has not been discharged yet" in on_time.detail
    assert overdue.outcome is Outcome.FAIL
    assert overdue.detail == (
        "No monitoring check since the check at 09:55: 16 min by 10:11 (now) "
        "(at most 15 min is allowed)."
    )


def test_a_session_that_ended_without_a_discharge_fails_the_interval_rule() -> None:
    story = compliant(IM).drop("discharge")

    result = story.result(INTERVAL)

    assert result.outcome is Outcome.FAIL
    assert "ended at 10:35 without a recorded discharge" in result.detail


def test_a_discharge_recorded_before_the_first_dose_fails_as_no_monitoring_after_it() -> None:
    story = compliant(IV).drop(*(f"check {c}" for c in ("09:25", "09:40", "09:55", "10:10")))
    story.drop(*(f"check {c}" for c in ("10:25", "10:40", "10:55")))
    story.change("discharge", at=at("09:07"))

    result = story.result(INTERVAL)

    assert result.outcome is Outcome.FAIL
    assert result.evidence == (story.event_id("dose"), story.event_id("discharge"))
    assert result.detail == (
        "Discharge at 09:07 is recorded before the first dose at 09:10, so no monitoring "
        "after the dose is shown."
    )


def test_a_clinic_requiring_checks_every_10_minutes_fails_a_12_minute_gap() -> None:
    story = compliant(IV).drop(*(f"check {c}" for c in ("09:25", "09:40", "09:55", "10:10")))
    story.drop(*(f"check {c}" for c in ("10:25", "10:40", "10:55")))
    for clock in ("09:22", "09:34", "09:46", "09:58", "10:10", "10:22", "10:34", "10:46", "10:58"):
        story.add(f"check {clock}", "vitals.recorded", at=at(clock))
    strict = load_profile(Protocol.IV_KETAMINE, overrides={"monitoring_max_gap_minutes": 10})

    by_default = story.result(INTERVAL)
    by_clinic = story.result(INTERVAL, profile=strict)

    assert by_default.outcome is Outcome.PASS
    assert by_clinic.outcome is Outcome.FAIL
    assert by_clinic.detail == (
        "No monitoring check for 12 min, between the first dose at 09:10 and the check at 09:22 "
        "(at most 10 min is allowed; 9 gaps in all were longer)."
    )


def test_spravato_sessions_are_not_held_to_the_monitoring_interval() -> None:
    story = compliant(SPRAVATO)
    rules = [*load_profile(SPRAVATO).rules, INTERVAL]

    assert INTERVAL not in load_profile(SPRAVATO).rules
    assert story.result(INTERVAL, rules=rules).outcome is Outcome.NOT_APPLICABLE


def test_without_adverse_events_the_adverse_event_rule_is_not_applicable() -> None:
    result = compliant(IV).result(ADVERSE)

    assert result.outcome is Outcome.NOT_APPLICABLE
    assert result.detail == "No adverse event of moderate severity or worse was reported."


def test_a_mild_adverse_event_needs_no_check() -> None:
    story = compliant(SPRAVATO).add("nausea", "adverse_event.reported", at=at("09:55"))

    result = story.result(ADVERSE)

    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "1 milder one reported" in result.detail


def test_a_moderate_event_followed_by_a_check_passes() -> None:
    story = compliant(SPRAVATO).add(
        "hypertension", "adverse_event.reported", at=at("10:10"), severity="moderate"
    )

    result = story.result(ADVERSE)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("hypertension"), story.event_id("check 10:20"))
    assert result.detail == (
        "The moderate hypertension event at 10:10 was followed by a monitoring check at 10:20, "
        "10 min later, within 15 min."
    )


def test_a_moderate_event_without_a_prompt_check_fails_only_that_rule() -> None:
    story = compliant(SPRAVATO).add(
        "sedation",
        "adverse_event.reported",
        at=at("09:55"),
        severity="moderate",
        category="sedation",
    )

    result = assert_fails_alone(story.verdict(), ADVERSE)

    assert result.evidence == (story.event_id("sedation"),)
    assert result.detail == (
        "The moderate sedation event at 09:55 was not followed by a monitoring check within "
        "15 min (by 10:10)."
    )


@pytest.mark.parametrize(
    ("clock", "outcome"),
    [("10:05", Outcome.PASS), ("10:04", Outcome.FAIL)],
    ids=["check 15 min later", "check 16 min later"],
)
def test_the_check_must_follow_within_15_minutes(clock: str, outcome: Outcome) -> None:
    story = compliant(SPRAVATO).add(
        "event", "adverse_event.reported", at=at(clock), severity="severe"
    )

    assert story.result(ADVERSE).outcome is outcome


def test_an_adverse_event_is_pending_until_its_window_closes() -> None:
    story = compliant(SPRAVATO).add(
        "event", "adverse_event.reported", at=at("10:00"), severity="life_threatening"
    )

    waiting = story.result(ADVERSE, as_of=at("10:10"))
    closed = story.result(ADVERSE, as_of=at("10:16"))

    assert waiting.outcome is Outcome.PENDING
    assert "life-threatening hypertension event at 10:00" in waiting.detail
    assert "closes at 10:15" in waiting.detail
    assert closed.outcome is Outcome.FAIL


def test_a_check_recorded_within_the_window_turns_pending_into_pass() -> None:
    story = (
        compliant(SPRAVATO)
        .add("event", "adverse_event.reported", at=at("10:00"), severity="severe")
        .add("response", "vitals.recorded", at=at("10:12"))
    )

    assert story.result(ADVERSE, as_of=at("10:12")).outcome is Outcome.PENDING
    assert story.result(ADVERSE, as_of=at("10:13")).outcome is Outcome.PASS


def test_a_clinic_can_raise_the_severity_that_needs_a_check() -> None:
    story = compliant(SPRAVATO).add(
        "event", "adverse_event.reported", at=at("09:55"), severity="moderate"
    )

    result = story.result(ADVERSE, adverse_event_min_severity="severe")

    assert result.outcome is Outcome.NOT_APPLICABLE
