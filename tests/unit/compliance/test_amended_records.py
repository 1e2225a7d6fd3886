"""Verdicts use corrected values, from the moment the correction was recorded."""

from __future__ import annotations

from events import Protocol
from projections.compliance import Outcome
from tests.unit.compliance.builders import Story, at, compliant

IN_RANGE = "vitals.baseline_bp_in_range"
IV = Protocol.IV_KETAMINE


def _high_reading_before_the_dose() -> Story:
    return (
        compliant(IV)
        .change("dose", at=at("09:20"))
        .add("reading", "vitals.recorded", at=at("09:12"), systolic_mmhg=152, diastolic_mmhg=95)
    )


def test_a_bp_amended_into_range_passes_from_the_amendments_recording_onward() -> None:
    story = _high_reading_before_the_dose().amend(
        "fix", target="reading", at=at("12:05"), systolic_mmhg=132, diastolic_mmhg=85
    )

    before = story.result(IN_RANGE, as_of=at("12:05"))
    recorded = story.result(IN_RANGE, as_of=story.recorded_at("fix"))
    later = story.result(IN_RANGE)

    assert before.outcome is Outcome.FAIL
    assert "152/95" in before.detail
    assert recorded.outcome is Outcome.PASS
    assert (
        recorded.detail == "BP 132/85 at 09:12, 8 min before the dose at 09:20, is within 140/90."
    )
    assert later.outcome is Outcome.PASS


def test_a_correction_that_would_break_the_contract_is_not_applied() -> None:
    story = _high_reading_before_the_dose().amend(
        "bad fix", target="reading", at=at("12:05"), systolic_mmhg=80
    )

    result = story.result(IN_RANGE)

    assert result.outcome is Outcome.FAIL
    assert "152/95" in result.detail


def test_an_amended_discharge_is_judged_on_its_corrected_values() -> None:
    story = (
        compliant(IV)
        .change("discharge", escort_present=False)
        .amend("fix", target="discharge", at=at("11:30"), escort_present=True)
    )

    assert story.result("discharge.escort_or_no_driving", as_of=at("11:30")).outcome is (
        Outcome.FAIL
    )
    assert story.result("discharge.escort_or_no_driving").outcome is Outcome.PASS


def test_an_amendment_of_a_patient_level_event_is_applied_too() -> None:
    story = compliant(Protocol.SPRAVATO_REMS).amend(
        "fix", target="enrolment", at=at("09:00", day=-1), enrollment_id="REMS-PT-0000001"
    )

    result = story.result("rems.enrolled_before_dose")

    assert result.outcome is Outcome.PASS
    assert "REMS-PT-0000001" in result.detail


def test_a_booking_corrected_to_another_protocol_is_judged_by_that_protocols_rules() -> None:
    # Booked as IV ketamine by mistake; in fact a SPRAVATO session, never REMS-enrolled and
    # without a monitoring form. Judged as production does, from the stored histories.
    story = (
        compliant(Protocol.SPRAVATO_REMS)
        .drop("enrolment", "form")
        .change("scheduled", protocol="iv-ketamine")
        .amend("fix", target="scheduled", at=at("09:00", day=-7), protocol="spravato-rems")
    )

    before = story.judged(as_of=at("09:00", day=-7))
    after = story.judged()

    assert before.protocol is Protocol.IV_KETAMINE
    assert after.protocol is Protocol.SPRAVATO_REMS
    assert [r.rule_id for r in after.failed_rules] == [
        "rems.enrolled_before_dose",
        "rems.monitoring_form_within_7_days",
    ]
