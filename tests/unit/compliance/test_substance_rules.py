"""controlled_substance.waste_witnessed."""

from __future__ import annotations

from events import Protocol
from projections.compliance import Outcome
from tests.unit.compliance.builders import assert_fails_alone, at, compliant

WASTE = "controlled_substance.waste_witnessed"
IV = Protocol.IV_KETAMINE


def test_a_waste_witnessed_by_a_second_person_passes() -> None:
    story = compliant(IV)

    result = story.result(WASTE)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("waste"),)
    assert result.detail == (
        "The waste of 15 mg of ketamine (lot KT24B117) at 09:52 by rn-lindqvist was witnessed "
        "by pharm-reyes."
    )


def test_a_waste_witnessed_by_the_person_who_wasted_it_fails_only_that_rule() -> None:
    story = compliant(IV).change("waste", witness_id="rn-lindqvist")

    result = assert_fails_alone(story.verdict(), WASTE)

    assert result.evidence == (story.event_id("waste"),)
    assert result.detail == (
        "The waste of 15 mg of ketamine (lot KT24B117) at 09:52 was witnessed by rn-lindqvist, "
        "the same person who wasted it, not by a second person."
    )


def test_staff_ids_differing_only_in_case_or_spacing_are_the_same_person() -> None:
    story = compliant(IV).change("waste", witness_id="RN-Lindqvist ")

    assert story.result(WASTE).outcome is Outcome.FAIL


def test_only_the_self_witnessed_waste_is_evidence_of_the_failure() -> None:
    story = compliant(IV).add(
        "second waste", "dose.wasted", at=at("10:05"), amount_mg=5, witness_id="rn-lindqvist"
    )

    result = story.result(WASTE)

    assert result.outcome is Outcome.FAIL
    assert result.evidence == (story.event_id("second waste"),)


def test_every_waste_witnessed_passes_with_all_of_them_as_evidence() -> None:
    story = compliant(IV).add("second waste", "dose.wasted", at=at("10:05"), amount_mg=5)

    result = story.result(WASTE)

    assert result.outcome is Outcome.PASS
    assert result.evidence == (story.event_id("waste"), story.event_id("second waste"))
    assert result.detail == "Each of the 2 wastes was witnessed by a second person."


def test_a_session_without_waste_has_nothing_to_witness() -> None:
    result = compliant(IV).drop("waste").result(WASTE)

    assert result.outcome is Outcome.NOT_APPLICABLE
    assert result.evidence == ()
