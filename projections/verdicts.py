"""Choose the profile for a session's protocol and judge it; sessions without one too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from events import Protocol
from projections.compliance import (
    Outcome,
    Profile,
    RuleResult,
    SessionStatus,
    SessionVerdict,
    evaluate,
)
from projections.history import PatientHistory, SessionHistory

__all__ = ["PROTOCOL_RECORDED", "PROTOCOL_RECORDED_TITLE", "judge"]

PROTOCOL_RECORDED = "session.protocol_recorded"
"""The rule a session breaks when it ends without a ``session.scheduled`` naming its protocol."""

PROTOCOL_RECORDED_TITLE = "Protocol recorded"


def judge(
    *,
    session: SessionHistory,
    patient: PatientHistory | None,
    profile_for: Callable[[Protocol], Profile],
    as_of: datetime,
    zone: tzinfo | None = None,
) -> SessionVerdict:
    """The session's verdict at ``as_of`` by its own protocol's profile.

    Without a recorded protocol no profile applies; that is itself a documentation
    failure once the session has ended, and leaves the session open until then.
    """
    current = session.as_of(as_of)
    if current.protocol is not None:
        return evaluate(
            session=session,
            patient=patient,
            profile=profile_for(current.protocol),
            as_of=as_of,
            zone=zone,
        )
    ended = current.ended
    return SessionVerdict(
        session_id=session.session_id,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        protocol=None,
        status=SessionStatus.NON_COMPLIANT if ended else SessionStatus.OPEN,
        as_of=as_of,
        rules=(
            RuleResult(
                rule_id=PROTOCOL_RECORDED,
                outcome=Outcome.FAIL if ended else Outcome.PENDING,
                # The session's own events: a note filed here from a later session is not.
                evidence=tuple(
                    r.event_id for r in current.events if r.event.session_id == session.session_id
                ),
                detail=(
                    "No session.scheduled names this session's protocol, so no protocol's "
                    "rules can be checked" + ("." if ended else " yet; the session has not ended.")
                ),
            ),
        ),
    )
