"""Session owners against the log: the first event by position decides."""

from __future__ import annotations

import dataclasses

from services.chain import OwnershipCheck, Problem, SessionOwner
from tests.unit.chain.test_chain_and_verify import _chain


def test_the_first_event_by_position_decides_even_when_a_later_one_streams_past_first() -> None:
    early, late = _chain(2)
    # Rows arrive by stream, not by position: the later event of another patient first.
    late = dataclasses.replace(late, patient_id="q", stream_id="c/patient/q", position=9)
    early = dataclasses.replace(early, position=1)
    check = OwnershipCheck()
    for row in (late, early):
        check.see(row)
    assert list(check.problems({"s": SessionOwner(clinic_id="c", patient_id="p")})) == []
    [link] = check.problems({"s": SessionOwner(clinic_id="c", patient_id="q")})
    assert (link.event_id, link.problem) == (early.event_id, Problem.OWNERSHIP)
