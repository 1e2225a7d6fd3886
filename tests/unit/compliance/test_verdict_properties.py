"""Properties over generated sessions: status follows the rules; deadlines move one way."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from events import Protocol
from projections.compliance import Outcome, SessionStatus
from tests.unit.compliance.builders import Story, at, minutes

IM = Protocol.IM_KETAMINE
INTERVAL = "vitals.monitoring_interval"


def _session_with_gaps(gaps: list[int]) -> Story:
    """An IM session whose checks follow the dose after ``gaps`` minutes; the last gap ends
    at discharge."""
    story = Story(IM)
    story.add("consent", "consent.given", at=at("14:30", day=-12))
    story.add("scheduled", "session.scheduled", at=at("11:00", day=-8), protocol=IM.value)
    story.add("baseline", "vitals.recorded", at=at("09:05"))
    story.add(
        "dose",
        "dose.administered",
        at=at("09:10"),
        route="im",
        infusion_minutes=None,
        patient_weight_kg=None,
    )
    moment = at("09:10")
    for number, gap in enumerate(gaps[:-1]):
        moment += minutes(gap)
        story.add(f"check {number}", "vitals.recorded", at=moment)
    discharge = moment + minutes(gaps[-1])
    story.add("discharge", "patient.discharged", at=discharge)
    story.add("ended", "session.ended", at=discharge + minutes(5))
    story.add("note", "integration_note.recorded", at=discharge + timedelta(days=1))
    return story


@settings(max_examples=40, deadline=None)
@given(gaps=st.lists(st.integers(min_value=1, max_value=25), min_size=1, max_size=8))
def test_an_ended_session_is_non_compliant_exactly_when_some_rule_failed(gaps: list[int]) -> None:
    verdict = _session_with_gaps(gaps).verdict()

    some_rule_failed = any(r.outcome is Outcome.FAIL for r in verdict.rules)
    assert (verdict.status is SessionStatus.NON_COMPLIANT) == some_rule_failed
    assert (verdict.result(INTERVAL).outcome is Outcome.FAIL) == (max(gaps) > 15)
    if not some_rule_failed:
        assert verdict.status is SessionStatus.COMPLIANT


@settings(max_examples=25, deadline=None)
@given(gaps=st.lists(st.integers(min_value=1, max_value=25), min_size=1, max_size=6))
def test_a_session_is_open_whatever_its_rules_say_until_it_ends(gaps: list[int]) -> None:
    story = _session_with_gaps(gaps)
    as_of = story.occurred_at("ended")

    verdict = story.verdict(as_of=as_of)

    assert verdict.status is SessionStatus.OPEN
    assert len(verdict.rules) == len(story.profile().rules)


@settings(max_examples=40, deadline=None)
@given(hours=st.lists(st.integers(min_value=0, max_value=24 * 12), min_size=2, max_size=6))
def test_a_missing_note_is_pending_until_its_deadline_and_failed_ever_after(
    hours: list[int],
) -> None:
    story = _session_with_gaps([15, 15, 15, 15, 15]).drop("note")
    ended = story.occurred_at("ended")
    deadline = ended + timedelta(days=7)

    for instant in sorted(ended + timedelta(hours=h) for h in hours):
        result = story.result("integration.note_within_window", as_of=instant)
        assert result.outcome is (Outcome.PENDING if instant <= deadline else Outcome.FAIL)
