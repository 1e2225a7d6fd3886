"""consent.before_first_dose and rems.enrolled_before_dose."""

from __future__ import annotations

from datetime import datetime

import pytest

from events import Protocol
from projections.compliance import Outcome
from tests.unit.compliance.builders import assert_fails_alone, at, compliant

CONSENT = "consent.before_first_dose"
ENROLLED = "rems.enrolled_before_dose"
IV = Protocol.IV_KETAMINE
IM = Protocol.IM_KETAMINE
SPRAVATO = Protocol.SPRAVATO_REMS


def test_consent_given_before_the_dose_passes_with_the_consent_and_the_dose_as_evidence() -> None:
    story = compliant(IV)

    result = story.result(CONSENT)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("consent"), story.event_id("dose"))
    assert result.detail == (
        "Consent (form consent-2025-0193) given at 2025-02-20 14:30 preceded the first dose "
        "at 2025-03-04 09:10."
    )


def test_a_dose_without_any_consent_fails_only_the_consent_rule() -> None:
    story = compliant(IV).drop("consent")

    result = assert_fails_alone(story.verdict(), CONSENT)

    assert result.evidence == (story.event_id("dose"),)
    assert result.detail == (
        "No consent from patient pt-5c1e9a is on record before the first dose at 2025-03-04 09:10."
    )


def test_without_the_patients_history_consent_cannot_be_shown() -> None:
    result = compliant(IV).result(CONSENT, with_patient=False)

    assert result.outcome is Outcome.FAIL


@pytest.mark.parametrize(
    ("consented", "outcome"),
    [(at("09:10"), Outcome.PASS), (at("09:11"), Outcome.FAIL)],
    ids=["in the dose's minute", "a minute after the dose"],
)
def test_consent_must_come_no_later_than_the_dose(consented: datetime, outcome: Outcome) -> None:
    story = compliant(IV).change("consent", at=consented)

    assert story.result(CONSENT).outcome is outcome


def test_a_consent_given_only_after_the_dose_fails_and_is_named() -> None:
    story = compliant(IV).change("consent", at=at("12:00"))

    result = story.result(CONSENT)

    assert result.outcome is Outcome.FAIL
    assert story.event_id("consent") in result.evidence
    assert "the first consent, at 2025-03-04 12:00, came after it" in result.detail


def test_a_withdrawal_between_consent_and_dose_fails_naming_the_withdrawal() -> None:
    story = compliant(IV).add("withdrawal", "consent.withdrawn", at=at("10:15", day=-2))

    result = assert_fails_alone(story.verdict(), CONSENT)

    assert result.evidence == (story.event_id("withdrawal"), story.event_id("dose"))
    assert result.detail == (
        "Consent was withdrawn at 2025-03-02 10:15 and not given again before the first dose "
        "at 2025-03-04 09:10."
    )


def test_consent_given_again_after_a_withdrawal_passes() -> None:
    story = (
        compliant(IV)
        .add("withdrawal", "consent.withdrawn", at=at("10:15", day=-2))
        .add("renewed", "consent.given", at=at("16:00", day=-1), form_id="consent-2025-0244")
    )

    result = story.result(CONSENT)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("renewed"), story.event_id("dose"))
    assert "consent-2025-0244" in result.detail


def test_a_withdrawal_after_the_session_does_not_undo_the_consent_it_was_given_under() -> None:
    story = compliant(IV).add("withdrawal", "consent.withdrawn", at=at("15:00"))

    assert story.result(CONSENT).outcome is Outcome.PASS


def test_a_withdrawal_between_two_doses_fails_naming_the_second_dose() -> None:
    story = (
        compliant(IM)
        .add("withdrawal", "consent.withdrawn", at=at("09:20"))
        .add("second dose", "dose.administered", at=at("09:30"), route="im", dose_mg=25)
        .change("second dose", infusion_minutes=None, patient_weight_kg=None)
    )

    result = assert_fails_alone(story.verdict(), CONSENT)

    assert result.evidence == (story.event_id("withdrawal"), story.event_id("second dose"))
    assert "before the dose at 2025-03-04 09:30" in result.detail


def test_a_spravato_patient_enrolled_in_the_rems_before_the_dose_passes() -> None:
    story = compliant(SPRAVATO)

    result = story.result(ENROLLED)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("enrolment"), story.event_id("dose"))
    assert "REMS-PT-88213407" in result.detail
    assert "2025-02-20 15:05" in result.detail


def test_a_spravato_dose_without_rems_enrolment_fails_only_the_enrolment_rule() -> None:
    story = compliant(SPRAVATO).drop("enrolment")

    result = assert_fails_alone(story.verdict(), ENROLLED)

    assert result.detail == (
        "No SPRAVATO REMS enrolment is on record before the first dose at 2025-03-04 09:10."
    )


@pytest.mark.parametrize(
    ("enrolled", "outcome"),
    [(at("09:10"), Outcome.PASS), (at("09:11"), Outcome.FAIL)],
    ids=["in the dose's minute", "a minute after the dose"],
)
def test_rems_enrolment_must_come_no_later_than_the_first_dose(
    enrolled: datetime, outcome: Outcome
) -> None:
    story = compliant(SPRAVATO).change("enrolment", at=enrolled)

    result = story.result(ENROLLED)

    assert result.outcome is outcome
    assert story.event_id("enrolment") in result.evidence
