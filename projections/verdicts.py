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
from projections.compliance.engine import evaluate_until, recorded_after
from projections.history import PatientHistory, SessionHistory
from projections.profiles import ProfileHistory

__all__ = [
    "PROTOCOL_RECORDED",
    "PROTOCOL_RECORDED_TITLE",
    "VERDICT_VERSION",
    "judge",
    "judge_until",
]

VERDICT_VERSION = 1
"""Bump whenever a rule, its wording or ``judge_until`` would answer otherwise from the same
histories: stored verdicts of another version are judged again, never served."""

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


def judge_until(
    *,
    session: SessionHistory,
    patient: PatientHistory | None,
    profiles: ProfileHistory,
    as_of: datetime,
    zone: tzinfo | None = None,
) -> tuple[SessionVerdict, datetime | None]:
    """``judge``'s verdict by the clinic's profile in force at ``as_of``, and the instant
    it stops being valid without a new event: the earliest deadline or sentence that turns
    (``evaluate_until``), event recorded after ``as_of``, or profile version of the
    session's protocol that comes into force after ``as_of``. None: nothing time-based can
    change it. Judging at any instant in ``[as_of, valid_until)`` gives the same verdict
    (``as_of`` aside) as long as the histories and profiles stay as they are."""
    current = session.as_of(as_of)
    protocol = current.protocol
    if not current.events:
        # Nothing recorded yet: reports leave the session out, and sentences are told on
        # the asker's clock. Valid at this instant only.
        return judge(
            session=session,
            patient=patient,
            profile_for=lambda p: profiles.profile_at(session.clinic_id, p, as_of=as_of),
            as_of=as_of,
            zone=zone,
        ), as_of
    if protocol is None:
        verdict = judge(
            session=session,
            patient=patient,
            profile_for=lambda p: profiles.profile_at(session.clinic_id, p, as_of=as_of),
            as_of=as_of,
            zone=zone,
        )
        # Without a protocol only a new event (a booking, the end) changes the verdict.
        instants = [recorded_after(session.events, as_of=as_of)]
    else:
        verdict, until = evaluate_until(
            session=session,
            patient=patient,
            profile=profiles.profile_at(session.clinic_id, protocol, as_of=as_of),
            as_of=as_of,
            zone=zone,
        )
        instants = [until, profiles.of(session.clinic_id, protocol).next_change(as_of)]
    return verdict, min((i for i in instants if i is not None), default=None)
