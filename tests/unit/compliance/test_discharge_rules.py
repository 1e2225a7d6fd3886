"""observation.minimum_duration, discharge.stable_with_vitals, discharge.escort_or_no_driving."""

from __future__ import annotations

import pytest

from events import Protocol
from projections.compliance import Outcome
from tests.unit.compliance.builders import assert_fails_alone, at, compliant

OBSERVATION = "observation.minimum_duration"
STABLE = "discharge.stable_with_vitals"
ESCORT = "discharge.escort_or_no_driving"
IV = Protocol.IV_KETAMINE
IM = Protocol.IM_KETAMINE
SPRAVATO = Protocol.SPRAVATO_REMS


def test_an_iv_discharge_an_hour_after_the_infusion_ended_passes() -> None:
    story = compliant(IV)

    result = story.result(OBSERVATION)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("dose"), story.event_id("discharge"))
    assert result.detail == (
        "Discharge at 11:00 came 70 min after the last dose ended at 09:50 (a 40-min infusion "
        "started at 09:10); the minimum is 60 min."
    )


def test_an_iv_discharge_55_minutes_after_the_infusion_fails_only_the_observation_rule() -> None:
    story = compliant(IV).change("discharge", at=at("10:45"))

    result = assert_fails_alone(story.verdict(), OBSERVATION)

    assert result.detail == (
        "Discharge at 10:45 came only 55 min after the last dose ended at 09:50 (a 40-min "
        "infusion started at 09:10); the minimum is 60 min."
    )


@pytest.mark.parametrize(
    ("protocol", "clock", "outcome"),
    [
        (IV, "10:50", Outcome.PASS),
        (IV, "10:49", Outcome.FAIL),
        (IM, "10:10", Outcome.PASS),
        (IM, "10:09", Outcome.FAIL),
        (SPRAVATO, "11:10", Outcome.PASS),
        (SPRAVATO, "11:09", Outcome.FAIL),
    ],
    ids=[
        "iv 60 min after the infusion",
        "iv 59 min",
        "im 60 min after the dose",
        "im 59 min",
        "spravato 120 min",
        "spravato 119 min",
    ],
)
def test_observation_lasts_at_least_the_protocols_minimum(
    protocol: Protocol, clock: str, outcome: Outcome
) -> None:
    story = compliant(protocol).change("discharge", at=at(clock))

    assert story.result(OBSERVATION).outcome is outcome


def test_observation_counts_from_the_last_dose() -> None:
    story = (
        compliant(IM)
        .add("second dose", "dose.administered", at=at("09:40"), route="im", dose_mg=25)
        .change("second dose", infusion_minutes=None, patient_weight_kg=None)
    )

    result = story.result(OBSERVATION)

    assert result.outcome is Outcome.FAIL
    assert "only 50 min after the last dose at 09:40" in result.detail


def test_observation_is_pending_before_discharge_and_fails_if_the_session_ends_without_one() -> (
    None
):
    story = compliant(IV).drop("discharge")

    open_session = story.result(OBSERVATION, as_of=at("10:30"))
    ended = story.result(OBSERVATION)

    assert open_session.outcome is Outcome.PENDING
    assert "due no earlier than 10:50" in open_session.detail
    assert ended.outcome is Outcome.FAIL
    assert ended.evidence == (story.event_id("ended"),)


def test_a_stable_discharge_with_a_recent_bp_passes() -> None:
    story = compliant(IV)

    result = story.result(STABLE)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("discharge"), story.event_id("check 10:55"))
    assert result.detail == (
        "The patient was discharged clinically stable at 11:00, with BP 128/82 at 10:55, "
        "5 min before."
    )


def test_a_discharge_not_clinically_stable_fails_only_that_rule() -> None:
    story = compliant(IV).change("discharge", clinically_stable=False)

    result = assert_fails_alone(story.verdict(), STABLE)

    assert result.detail == (
        "At discharge at 11:00, the patient was not recorded as clinically stable."
    )


def test_a_discharge_without_a_recent_bp_fails_only_that_rule() -> None:
    story = compliant(IV).change("check 10:55", systolic_mmhg=None, diastolic_mmhg=None)

    result = assert_fails_alone(story.verdict(), STABLE)

    assert result.detail == (
        "At discharge at 11:00, no blood pressure was taken in the 15 min before it "
        "(the last was at 10:40, 20 min before)."
    )


@pytest.mark.parametrize(
    ("clock", "outcome"),
    [("10:25", Outcome.PASS), ("10:26", Outcome.FAIL)],
    ids=["BP 15 min before", "BP 16 min before"],
)
def test_the_discharge_bp_must_be_at_most_15_minutes_old(clock: str, outcome: Outcome) -> None:
    story = (
        compliant(IM)
        .change("check 10:25", systolic_mmhg=None, diastolic_mmhg=None)
        .change("discharge", at=at(clock))
    )

    assert story.result(STABLE).outcome is outcome


def test_discharge_rules_wait_while_the_session_is_open_and_fail_once_it_ends() -> None:
    story = compliant(IV).drop("discharge")

    for rule_id in (STABLE, ESCORT):
        assert story.result(rule_id, as_of=at("11:02")).outcome is Outcome.PENDING
        ended = story.result(rule_id)
        assert ended.outcome is Outcome.FAIL
        assert "ended at 11:05 without a recorded discharge" in ended.detail


def test_an_escorted_iv_patient_passes() -> None:
    story = compliant(IV)

    result = story.result(ESCORT)

    assert result.outcome is Outcome.PASS
    assert result.detail == ("The patient discharged at 11:00 was escorted by a responsible adult.")


def test_an_iv_patient_leaving_without_an_escort_fails_only_that_rule() -> None:
    story = compliant(IV).change("discharge", escort_present=False, driving_advice_given=True)

    result = assert_fails_alone(story.verdict(), ESCORT)

    assert result.evidence == (story.event_id("discharge"),)
    assert result.detail == (
        "The patient discharged at 11:00 was not escorted by a responsible adult."
    )


def test_a_spravato_patient_not_told_to_avoid_driving_fails_only_that_rule() -> None:
    story = compliant(SPRAVATO).change("discharge", driving_advice_given=False)

    result = assert_fails_alone(story.verdict(), ESCORT)

    assert "not told not to drive until the next day" in result.detail


def test_a_spravato_patient_told_not_to_drive_needs_no_escort() -> None:
    story = compliant(SPRAVATO).change("discharge", escort_present=False)

    assert story.result(ESCORT).outcome is Outcome.PASS


def test_a_clinic_can_require_driving_advice_for_iv_patients_too() -> None:
    story = compliant(IV).change("discharge", driving_advice_given=False)

    assert story.result(ESCORT).outcome is Outcome.PASS
    assert story.result(ESCORT, discharge_requires_driving_advice=True).outcome is Outcome.FAIL
