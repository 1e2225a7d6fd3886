"""Sentences on the clinic's clock, pending results with their deadline, rules with titles."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from events import Protocol
from projections.compliance import RULE_TITLES, Outcome, evaluate
from projections.compliance.catalogue import RULE_CATALOGUE
from tests.unit.compliance.builders import compliant

NOTE = "integration.note_within_window"
DENVER = ZoneInfo("America/Denver")


def test_with_the_clinics_zone_a_sentence_tells_its_times_on_the_clinics_clock() -> None:
    story = compliant(Protocol.IV_KETAMINE)
    session, patient, others = story.histories()

    verdict = evaluate(
        session=session,
        patient=patient,
        profile=story.profile(),
        as_of=story.occurred_at("ended") + timedelta(days=60),
        follow_ups=others,
        zone=DENVER,
    )

    # Booked at 11:05 -05:00; the clinic in Denver reads 09:05 (MST, before the DST change).
    assert "the session's end at 2025-03-04 09:05" in verdict.result(NOTE).detail


def test_a_deadline_across_a_dst_change_stays_exactly_the_windows_length() -> None:
    story = compliant(Protocol.IV_KETAMINE).drop("note")
    session, patient, others = story.histories()
    end = story.occurred_at("ended")

    result = evaluate(
        session=session,
        patient=patient,
        profile=story.profile(),
        as_of=end + timedelta(days=3),
        follow_ups=others,
        zone=DENVER,
    ).result(NOTE)

    # Denver moved its clocks on 2025-03-09: on its wall clock, 7 days would be an hour short.
    assert result.due == end + timedelta(days=7)


def test_a_pending_result_waiting_on_a_deadline_carries_that_deadline() -> None:
    story = compliant(Protocol.IV_KETAMINE).drop("note")
    end = story.occurred_at("ended")

    result = story.result(NOTE, as_of=end + timedelta(days=3))

    assert result.outcome is Outcome.PENDING
    assert result.due == end + timedelta(days=7)


def test_a_decided_result_has_no_deadline() -> None:
    assert compliant(Protocol.IV_KETAMINE).result(NOTE).due is None


def test_every_rule_has_a_short_human_title() -> None:
    assert set(RULE_TITLES) == set(RULE_CATALOGUE)
    assert all(0 < len(title) <= 48 and "." not in title for title in RULE_TITLES.values())
