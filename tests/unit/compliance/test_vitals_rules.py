"""vitals.baseline_before_dose, vitals.baseline_bp_in_range and vitals.bp_at_40_min."""

from __future__ import annotations

import pytest

from events import Protocol
from projections.compliance import Outcome
from tests.unit.compliance.builders import assert_fails_alone, at, compliant

BASELINE = "vitals.baseline_before_dose"
IN_RANGE = "vitals.baseline_bp_in_range"
AT_40 = "vitals.bp_at_40_min"
IV = Protocol.IV_KETAMINE
IM = Protocol.IM_KETAMINE
SPRAVATO = Protocol.SPRAVATO_REMS


def test_a_baseline_bp_and_spo2_shortly_before_the_dose_pass() -> None:
    story = compliant(IV)

    result = story.result(BASELINE)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("baseline"), story.event_id("dose"))
    assert result.detail == (
        "BP 128/82 at 09:05 and SpO2 98% at 09:05 were taken within 60 min before the first "
        "dose at 09:10."
    )


def test_a_dose_without_baseline_vitals_fails_only_the_baseline_rule() -> None:
    story = compliant(IV).drop("baseline")

    result = assert_fails_alone(story.verdict(), BASELINE)

    assert result.evidence == (story.event_id("dose"),)
    assert result.detail == (
        "No blood pressure or SpO2 was recorded within 60 min before the first dose at 09:10."
    )


@pytest.mark.parametrize(
    ("clock", "outcome"),
    [("08:10", Outcome.PASS), ("08:09", Outcome.FAIL)],
    ids=["60 min before", "61 min before"],
)
def test_the_baseline_must_be_at_most_60_minutes_before_the_dose(
    clock: str, outcome: Outcome
) -> None:
    story = compliant(IV).change("baseline", at=at(clock))

    result = story.result(BASELINE)

    assert result.outcome is outcome
    if outcome is Outcome.FAIL:
        assert "the last blood pressure was at 08:09, 61 min before the dose" in result.detail


def test_iv_ketamine_needs_spo2_in_the_baseline() -> None:
    story = compliant(IV).change("baseline", spo2_pct=None)

    result = assert_fails_alone(story.verdict(), BASELINE)

    assert result.detail.startswith("No SpO2 was recorded within 60 min")


def test_im_ketamine_needs_no_spo2_in_the_baseline_unless_the_clinic_asks() -> None:
    story = compliant(IM).change("baseline", spo2_pct=None)

    assert story.result(BASELINE).outcome is Outcome.PASS
    assert story.result(BASELINE, baseline_requires_spo2=True).outcome is Outcome.FAIL


def test_a_check_after_the_dose_is_not_a_baseline() -> None:
    story = compliant(IM).change("baseline", at=at("09:11"))

    assert story.result(BASELINE).outcome is Outcome.FAIL


def test_a_baseline_within_140_over_90_passes() -> None:
    story = compliant(IV)

    result = story.result(IN_RANGE)

    assert result.outcome is Outcome.PASS
    assert result.detail == "BP 128/82 at 09:05, 5 min before the dose at 09:10, is within 140/90."


def test_a_high_reading_before_the_dose_fails_naming_the_reading_and_the_dose() -> None:
    story = (
        compliant(IV)
        .change("dose", at=at("09:20"))
        .add("high", "vitals.recorded", at=at("09:12"), systolic_mmhg=152, diastolic_mmhg=95)
    )

    result = assert_fails_alone(story.verdict(), IN_RANGE)

    assert set(result.evidence) == {story.event_id("high"), story.event_id("dose")}
    assert result.detail == "BP 152/95 at 09:12, 8 min before the dose at 09:20, exceeds 140/90."


@pytest.mark.parametrize(
    ("systolic", "diastolic", "outcome"),
    [(140, 90, Outcome.PASS), (141, 90, Outcome.FAIL), (140, 91, Outcome.FAIL)],
    ids=["at the limit", "systolic one over", "diastolic one over"],
)
def test_the_baseline_limit_is_inclusive(systolic: int, diastolic: int, outcome: Outcome) -> None:
    story = compliant(IV).change("baseline", systolic_mmhg=systolic, diastolic_mmhg=diastolic)

    assert story.result(IN_RANGE).outcome is outcome


def test_a_clinic_can_lower_the_baseline_limit() -> None:
    story = compliant(IV)

    result = story.result(IN_RANGE, baseline_max_systolic_mmhg=125)

    assert result.outcome is Outcome.FAIL
    assert "exceeds 125/90" in result.detail


def test_only_the_last_reading_before_the_dose_counts() -> None:
    story = compliant(IV).add(
        "early high", "vitals.recorded", at=at("08:55"), systolic_mmhg=160, diastolic_mmhg=100
    )

    assert story.result(IN_RANGE).outcome is Outcome.PASS


def test_a_high_reading_before_a_later_dose_fails_naming_that_dose() -> None:
    story = (
        compliant(IM)
        .change("check 09:25", systolic_mmhg=150, diastolic_mmhg=85)
        .add("second dose", "dose.administered", at=at("09:30"), route="im", dose_mg=25)
        .change("second dose", infusion_minutes=None, patient_weight_kg=None)
    )

    result = assert_fails_alone(story.verdict(), IN_RANGE)

    assert result.detail == "BP 150/85 at 09:25, 5 min before the dose at 09:30, exceeds 140/90."


def test_with_no_reading_before_any_dose_the_range_is_not_applicable() -> None:
    story = compliant(IV).drop("baseline")

    result = story.result(IN_RANGE)

    assert result.outcome is Outcome.NOT_APPLICABLE
    assert "vitals.baseline_before_dose" in result.detail


def test_a_spravato_bp_40_minutes_after_the_dose_passes() -> None:
    story = compliant(SPRAVATO)

    result = story.result(AT_40)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("check 09:50"), story.event_id("dose"))
    assert result.detail == (
        "BP 128/82 at 09:50, 40 min after the first dose at 09:10, is within the 30-50 min window."
    )


def test_a_spravato_session_without_a_bp_near_40_minutes_fails_only_that_rule() -> None:
    story = compliant(SPRAVATO).drop("check 09:50")

    result = assert_fails_alone(story.verdict(), AT_40)

    assert result.detail == (
        "No blood pressure was recorded between 09:40 and 10:00 (30-50 min after the first "
        "dose at 09:10)."
    )


@pytest.mark.parametrize(
    ("clock", "outcome"),
    [
        ("09:40", Outcome.PASS),
        ("10:00", Outcome.PASS),
        ("09:39", Outcome.FAIL),
        ("10:01", Outcome.FAIL),
    ],
    ids=["30 min after", "50 min after", "29 min after", "51 min after"],
)
def test_the_40_minute_bp_must_fall_30_to_50_minutes_after_the_dose(
    clock: str, outcome: Outcome
) -> None:
    story = compliant(SPRAVATO).change("check 09:50", at=at(clock))

    assert story.result(AT_40).outcome is outcome


def test_a_check_without_blood_pressure_is_not_the_40_minute_bp() -> None:
    story = compliant(SPRAVATO).change("check 09:50", systolic_mmhg=None, diastolic_mmhg=None)

    assert story.result(AT_40).outcome is Outcome.FAIL


def test_the_40_minute_bp_is_pending_until_its_window_closes_then_fails() -> None:
    story = compliant(SPRAVATO).drop("check 09:50")

    waiting = story.result(AT_40, as_of=at("09:55"))
    closed = story.result(AT_40, as_of=at("10:01"))

    assert waiting.outcome is Outcome.PENDING
    assert "still open at 09:55" in waiting.detail
    assert closed.outcome is Outcome.FAIL


def test_the_40_minute_bp_passes_as_soon_as_it_is_recorded() -> None:
    story = compliant(SPRAVATO)

    assert story.result(AT_40, as_of=at("09:50")).outcome is Outcome.PENDING
    assert story.result(AT_40, as_of=at("09:51")).outcome is Outcome.PASS
