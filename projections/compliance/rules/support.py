"""Shared pieces of the rules: building results, and the no-dose / no-discharge cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol as TypingProtocol

from events import EventEnvelope
from projections.compliance.facts import SessionFacts
from projections.compliance.outcome import Outcome, RuleResult
from projections.compliance.wording import clock, stamp

__all__ = ["Judge", "RuleCheck", "without_discharge", "without_dose"]


class RuleCheck(TypingProtocol):
    """A rule: judges one session's facts."""

    def __call__(self, *, facts: SessionFacts) -> RuleResult: ...


@dataclass(frozen=True, slots=True)
class Judge:
    """Builds one rule's results; evidence is given as events and kept as their ids."""

    rule_id: str

    def passed(self, *evidence: EventEnvelope | None, detail: str) -> RuleResult:
        return self._result(Outcome.PASS, evidence, detail)

    def failed(self, *evidence: EventEnvelope | None, detail: str) -> RuleResult:
        return self._result(Outcome.FAIL, evidence, detail)

    def pending(
        self, *evidence: EventEnvelope | None, detail: str, due: datetime | None = None
    ) -> RuleResult:
        """``due``: the deadline the result waits on, when there is one."""
        return self._result(Outcome.PENDING, evidence, detail, due=due)

    def not_applicable(self, *evidence: EventEnvelope | None, detail: str) -> RuleResult:
        return self._result(Outcome.NOT_APPLICABLE, evidence, detail)

    def _result(
        self,
        outcome: Outcome,
        evidence: tuple[EventEnvelope | None, ...],
        detail: str,
        *,
        due: datetime | None = None,
    ) -> RuleResult:
        # None is accepted so that rules can pass optional events straight through.
        ids = dict.fromkeys(str(event.event_id) for event in evidence if event is not None)
        return RuleResult(
            rule_id=self.rule_id, outcome=outcome, evidence=tuple(ids), detail=detail, due=due
        )


def without_dose(judge: Judge, *, facts: SessionFacts) -> RuleResult:
    """A dose rule's result when no dose is on record (yet)."""
    if facts.ended is not None:
        return judge.not_applicable(
            facts.ended,
            detail="No dose was given in this session (it ended at "
            f"{stamp(facts.ended.occurred_at)}), so there is nothing to check.",
        )
    return judge.pending(
        detail=f"No dose has been recorded yet (as of {stamp(facts.as_of)}).",
    )


def without_discharge(judge: Judge, *, facts: SessionFacts, needed_for: str) -> RuleResult:
    """A discharge rule's result when no discharge is on record (yet)."""
    if facts.ended is not None:
        return judge.failed(
            facts.ended,
            detail=f"The session ended at {clock(facts.ended.occurred_at)} without a recorded "
            f"discharge, so {needed_for} cannot be shown.",
        )
    return judge.pending(
        detail=f"The patient has not been discharged yet (as of {clock(facts.as_of)}), "
        f"so {needed_for} cannot be judged yet.",
    )
