"""The engine: status from rule results, as_of, protocol choice, and its refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from events import Protocol
from projections.compliance import (
    RULE_DESCRIPTIONS,
    RULE_PROTOCOLS,
    RULES,
    Outcome,
    SessionStatus,
    evaluate,
    load_profile,
)
from projections.history import PatientHistory
from tests.unit.compliance.builders import (
    CLINIC,
    LONG_AFTER,
    SESSION,
    Story,
    at,
    compliant,
)

IV = Protocol.IV_KETAMINE
SPRAVATO = Protocol.SPRAVATO_REMS


@pytest.mark.parametrize("protocol", list(Protocol))
def test_a_session_following_its_protocol_is_compliant(protocol: Protocol) -> None:
    story = compliant(protocol)

    verdict = story.verdict()

    assert verdict.status is SessionStatus.COMPLIANT
    assert verdict.failed_rules == ()
    assert verdict.protocol is protocol
    assert [r.rule_id for r in verdict.rules] == list(load_profile(protocol).enabled)
    assert {r.outcome for r in verdict.rules} <= {Outcome.PASS, Outcome.NOT_APPLICABLE}


@pytest.mark.parametrize("protocol", list(Protocol))
def test_every_passing_rule_names_its_evidence_and_says_why(protocol: Protocol) -> None:
    story = compliant(protocol)

    passed = [r for r in story.verdict().rules if r.outcome is Outcome.PASS]

    assert passed
    assert all(r.evidence and r.detail.endswith(".") for r in passed)


def test_the_verdict_carries_the_sessions_identity_and_instant() -> None:
    verdict = compliant(IV).verdict(as_of=at("12:00"))

    assert (verdict.session_id, verdict.clinic_id, verdict.patient_id) == (
        SESSION,
        CLINIC,
        "pt-5c1e9a",
    )
    assert verdict.as_of == at("12:00")


def test_an_open_session_is_open_but_its_rules_are_still_judged() -> None:
    verdict = compliant(IV).verdict(as_of=at("10:00"))

    assert verdict.status is SessionStatus.OPEN
    assert verdict.result("consent.before_first_dose").outcome is Outcome.PASS
    assert verdict.result("observation.minimum_duration").outcome is Outcome.PENDING


def test_an_open_session_stays_open_even_when_a_rule_already_failed() -> None:
    story = compliant(IV).drop("consent")

    verdict = story.verdict(as_of=at("10:00"))

    assert verdict.status is SessionStatus.OPEN
    assert [r.rule_id for r in verdict.failed_rules] == ["consent.before_first_dose"]


def test_an_ended_session_waiting_only_on_its_integration_note_is_pending() -> None:
    verdict = compliant(IV).verdict(as_of=at("12:00"))

    assert verdict.status is SessionStatus.PENDING
    assert verdict.result("integration.note_within_window").outcome is Outcome.PENDING


def test_an_ended_session_with_a_failed_rule_is_non_compliant() -> None:
    verdict = compliant(IV).drop("consent").verdict()

    assert verdict.status is SessionStatus.NON_COMPLIANT
    assert [r.rule_id for r in verdict.failed_rules] == ["consent.before_first_dose"]


def test_an_event_recorded_after_as_of_is_ignored_even_though_it_occurred_before() -> None:
    story = compliant(IV).change("discharge", recorded_at=at("11:30"))

    before = story.verdict(as_of=at("11:29"))
    after = story.verdict(as_of=at("11:30"))

    assert before.result("discharge.stable_with_vitals").outcome is Outcome.FAIL
    assert after.result("discharge.stable_with_vitals").outcome is Outcome.PASS


def test_before_anything_was_recorded_the_session_is_open_with_no_protocol() -> None:
    story = compliant(IV)

    verdict = story.verdict(as_of=at("09:00", day=-10))

    assert verdict.status is SessionStatus.OPEN
    assert verdict.protocol is None
    assert verdict.result("documentation.contemporaneous").outcome is Outcome.NOT_APPLICABLE


def test_a_session_without_a_booking_is_judged_by_the_profile_the_caller_chose() -> None:
    story = compliant(IV).drop("scheduled")

    as_iv = story.verdict(profile=load_profile(IV))
    as_spravato = story.verdict(profile=load_profile(SPRAVATO))

    assert as_iv.protocol is None
    assert as_iv.status is SessionStatus.COMPLIANT
    assert as_spravato.status is SessionStatus.NON_COMPLIANT
    assert "rems.enrolled_before_dose" in {r.rule_id for r in as_spravato.failed_rules}


def test_a_profile_for_another_protocol_than_the_sessions_is_refused() -> None:
    with pytest.raises(ValueError, match="iv-ketamine"):
        compliant(IV).verdict(profile=load_profile(SPRAVATO))


def test_a_rule_enabled_for_a_protocol_it_does_not_cover_is_not_applicable() -> None:
    rules = [*load_profile(IV).rules, "rems.enrolled_before_dose", "vitals.bp_at_40_min"]

    verdict = compliant(IV).verdict(rules=rules)

    for rule_id in ("rems.enrolled_before_dose", "vitals.bp_at_40_min"):
        result = verdict.result(rule_id)
        assert result.outcome is Outcome.NOT_APPLICABLE
        assert "spravato-rems" in result.detail


def test_a_rule_the_profile_does_not_enable_is_not_in_the_verdict() -> None:
    verdict = compliant(SPRAVATO).verdict()

    with pytest.raises(KeyError):
        verdict.result("vitals.monitoring_interval")


def test_a_cancelled_session_without_a_dose_is_compliant_with_dose_rules_not_applicable() -> None:
    story = Story(IV)
    story.add("consent", "consent.given", at=at("14:30", day=-12))
    story.add("scheduled", "session.scheduled", at=at("11:00", day=-8), protocol=IV.value)
    story.add("started", "session.started", at=at("09:02"))
    story.add("ended", "session.ended", at=at("09:30"))

    verdict = story.verdict()

    assert verdict.status is SessionStatus.COMPLIANT
    outcomes = {r.rule_id: r.outcome for r in verdict.rules}
    assert outcomes.pop("documentation.contemporaneous") is Outcome.PASS
    assert set(outcomes.values()) == {Outcome.NOT_APPLICABLE}
    assert "No dose was given" in verdict.result("observation.minimum_duration").detail


def test_an_open_session_without_a_dose_yet_has_its_dose_rules_pending() -> None:
    story = compliant(IV)

    verdict = story.verdict(as_of=at("09:08"))

    assert verdict.result("consent.before_first_dose").outcome is Outcome.PENDING
    assert verdict.result("vitals.baseline_before_dose").outcome is Outcome.PENDING


def test_as_of_must_carry_a_utc_offset() -> None:
    session, patient, _ = compliant(IV).histories()

    with pytest.raises(ValueError, match="timezone"):
        evaluate(
            session=session,
            patient=patient,
            profile=load_profile(IV),
            as_of=datetime(2025, 3, 5, 12, 0),
        )


def test_another_patients_history_is_refused() -> None:
    session, _, _ = compliant(IV).histories()
    stranger = PatientHistory(clinic_id=CLINIC, patient_id="pt-other")

    with pytest.raises(ValueError, match="pt-other"):
        evaluate(session=session, patient=stranger, profile=load_profile(IV), as_of=LONG_AFTER)


def test_the_same_instant_in_another_offset_gives_the_same_verdict() -> None:
    story = compliant(IV)
    utc = at("10:00").astimezone(UTC)

    local = story.verdict(as_of=at("10:00"))
    elsewhere = story.verdict(as_of=utc)

    assert [r.outcome for r in local.rules] == [r.outcome for r in elsewhere.rules]
    assert utc.utcoffset() == timedelta(0)


def test_times_written_in_another_offset_are_told_on_the_clock_the_session_was_booked_in() -> None:
    # The pump reports the dose in UTC and the server records in UTC; the booking is -05:00.
    story = compliant(IV).change(
        "dose", at=at("09:10").astimezone(UTC), recorded_at=at("10:00", day=2).astimezone(UTC)
    )

    verdict = story.judged()

    assert verdict.result("vitals.monitoring_interval").detail == (
        "Monitoring checks were at most 15 min apart from the first dose at 09:10 to discharge "
        "at 11:00 (7 checks, longest gap 15 min)."
    )
    assert verdict.result("documentation.contemporaneous").detail == (
        "The dose of 2025-03-04 09:10 was recorded at 2025-03-06 10:00, 2 days 50 min later "
        "(at most 24 h allowed)."
    )


def test_every_rule_has_a_function_a_description_and_its_protocols() -> None:
    assert list(RULES) == list(RULE_DESCRIPTIONS) == list(RULE_PROTOCOLS)
    assert all(description.endswith(".") for description in RULE_DESCRIPTIONS.values())
    assert all(RULE_PROTOCOLS[rule_id] for rule_id in RULES)
