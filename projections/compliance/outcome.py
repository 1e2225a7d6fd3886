"""What the engine concludes: one result per rule, and a verdict per session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from events import Protocol

__all__ = ["Outcome", "RuleResult", "SessionStatus", "SessionVerdict", "VerdictSummary"]


class Outcome(StrEnum):
    """How one rule came out for one session at one instant."""

    PASS = "pass"
    FAIL = "fail"
    PENDING = "pending"
    """Not decided yet: a deadline has not passed or the session is still under way."""
    NOT_APPLICABLE = "not_applicable"
    """The rule has nothing to judge (no dose, no waste, another protocol's rule)."""


class SessionStatus(StrEnum):
    """The session's overall standing, derived from its rule results."""

    COMPLIANT = "compliant"
    NON_COMPLIANT = "non_compliant"
    PENDING = "pending"
    OPEN = "open"
    """No ``session.ended`` yet; rule results are still computed and returned."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleResult:
    """One rule's outcome, the events it rests on, and a sentence saying why."""

    rule_id: str
    outcome: Outcome
    evidence: tuple[str, ...]
    """Event ids supporting the outcome (e.g. the dose and the reading that was too high)."""
    detail: str
    """One sentence for a compliance officer, naming the clock times and values."""
    due: datetime | None = None
    """For a pending result waiting on a deadline: the instant it fails if nothing comes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionVerdict:
    """Every enabled rule's result for one session, as the record stood at ``as_of``."""

    session_id: str
    clinic_id: str
    patient_id: str
    protocol: Protocol | None
    """The session's protocol as of ``as_of``; None when no ``session.scheduled`` was seen."""
    status: SessionStatus
    as_of: datetime
    rules: tuple[RuleResult, ...]
    profile_version: int | None = None
    """The clinic's profile version the rules were checked with (0: the shipped defaults);
    None when no protocol, hence no profile, applied."""

    @property
    def failed_rules(self) -> tuple[RuleResult, ...]:
        return tuple(result for result in self.rules if result.outcome is Outcome.FAIL)

    def summary(self) -> VerdictSummary:
        """What a clinic report counts of this verdict."""
        return VerdictSummary(
            session_id=self.session_id,
            clinic_id=self.clinic_id,
            patient_id=self.patient_id,
            protocol=self.protocol,
            status=self.status,
            failed_rule_ids=tuple(result.rule_id for result in self.failed_rules),
            profile_version=self.profile_version,
        )

    def result(self, rule_id: str) -> RuleResult:
        """The result of ``rule_id``; KeyError when the profile did not enable it."""
        for result in self.rules:
            if result.rule_id == rule_id:
                return result
        raise KeyError(rule_id)

    def to_document(self) -> dict[str, Any]:
        """The verdict as JSON-ready data; ``from_document`` gives back an equal verdict."""
        return {
            "session_id": self.session_id,
            "clinic_id": self.clinic_id,
            "patient_id": self.patient_id,
            "protocol": None if self.protocol is None else self.protocol.value,
            "status": self.status.value,
            "as_of": self.as_of.isoformat(),
            "profile_version": self.profile_version,
            "rules": [
                {
                    "rule_id": r.rule_id,
                    "outcome": r.outcome.value,
                    "evidence": list(r.evidence),
                    "detail": r.detail,
                    "due": None if r.due is None else r.due.isoformat(),
                }
                for r in self.rules
            ],
        }

    @classmethod
    def from_document(
        cls, document: dict[str, Any], *, as_of: datetime | None = None
    ) -> SessionVerdict:
        """The verdict ``to_document`` wrote; ``as_of`` replaces the instant it was judged at
        (for a verdict known to read the same then)."""
        protocol = document["protocol"]
        return cls(
            session_id=document["session_id"],
            clinic_id=document["clinic_id"],
            patient_id=document["patient_id"],
            protocol=None if protocol is None else Protocol(protocol),
            status=SessionStatus(document["status"]),
            as_of=as_of if as_of is not None else datetime.fromisoformat(document["as_of"]),
            rules=tuple(
                RuleResult(
                    rule_id=r["rule_id"],
                    outcome=Outcome(r["outcome"]),
                    evidence=tuple(r["evidence"]),
                    detail=r["detail"],
                    due=None if r["due"] is None else datetime.fromisoformat(r["due"]),
                )
                for r in document["rules"]
            ),
            profile_version=document["profile_version"],
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class VerdictSummary:
    """A verdict without its rules' evidence and sentences: what a clinic report counts.

    Reports read these from stored columns, without decoding each verdict's rules, so a
    month of a busy clinic is reported in milliseconds.
    """

    session_id: str
    clinic_id: str
    patient_id: str
    protocol: Protocol | None
    status: SessionStatus
    failed_rule_ids: tuple[str, ...]
    """The rules the session fails, in the profile's order."""
    profile_version: int | None = None
