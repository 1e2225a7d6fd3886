"""The bodies of a clinic's session list and of one session's verdict."""

from __future__ import annotations

from datetime import datetime

from events import Protocol
from projections.compliance import Outcome, SessionStatus, SessionVerdict
from services.bodies.common import Body, Instant, PeriodOut

__all__ = ["RuleOutcome", "SessionCompliance", "SessionPage", "SessionSummary"]


class SessionSummary(Body):
    session_id: str
    clinic_id: str
    patient_id: str
    protocol: Protocol | None
    status: SessionStatus
    session_start: Instant | None
    failed_rules: list[str]
    profile_version: int | None
    """The clinic's profile version the session was judged with (0: the shipped defaults;
    null without a protocol)."""

    @classmethod
    def of(cls, verdict: SessionVerdict, *, session_start: datetime | None) -> SessionSummary:
        """The line of a session judged ``verdict``, booked (or first seen) at
        ``session_start``."""
        return cls(
            session_id=verdict.session_id,
            clinic_id=verdict.clinic_id,
            patient_id=verdict.patient_id,
            protocol=verdict.protocol,
            status=verdict.status,
            session_start=session_start,
            failed_rules=[result.rule_id for result in verdict.failed_rules],
            profile_version=verdict.profile_version,
        )


class SessionPage(Body):
    period: PeriodOut
    """The period the sessions start in."""
    items: list[SessionSummary]
    total: int
    limit: int
    offset: int


class RuleOutcome(Body):
    rule_id: str
    outcome: Outcome
    evidence: list[str]
    detail: str


class SessionCompliance(Body):
    session_id: str
    clinic_id: str
    patient_id: str
    protocol: Protocol | None
    status: SessionStatus
    as_of: Instant
    rules: list[RuleOutcome]
    profile_version: int | None
    """The clinic's profile version in force at `as_of` that the rules were checked with
    (0: the shipped defaults; null without a protocol)."""

    @classmethod
    def of(cls, verdict: SessionVerdict) -> SessionCompliance:
        return cls(
            session_id=verdict.session_id,
            clinic_id=verdict.clinic_id,
            patient_id=verdict.patient_id,
            protocol=verdict.protocol,
            status=verdict.status,
            as_of=verdict.as_of,
            rules=[
                RuleOutcome(
                    rule_id=r.rule_id, outcome=r.outcome, evidence=list(r.evidence), detail=r.detail
                )
                for r in verdict.rules
            ],
            profile_version=verdict.profile_version,
        )
