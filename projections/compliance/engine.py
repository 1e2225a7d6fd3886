"""Evaluate one session against a profile, as the record stood at a given instant."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo

from projections.amendments import amend_streams
from projections.compliance.catalogue import RULE_PROTOCOLS
from projections.compliance.facts import SessionFacts
from projections.compliance.outcome import Outcome, RuleResult, SessionStatus, SessionVerdict
from projections.compliance.profile import Profile
from projections.compliance.rules import RULES
from projections.compliance.validity import next_change
from projections.history import PatientHistory, SessionHistory
from projections.recorded import Recorded

__all__ = ["evaluate", "evaluate_until", "recorded_after", "session_status"]


def evaluate(
    *,
    session: SessionHistory,
    patient: PatientHistory | None,
    profile: Profile,
    as_of: datetime,
    follow_ups: Iterable[Recorded] = (),
    zone: tzinfo | None = None,
) -> SessionVerdict:
    """Judge ``session`` by ``profile`` using only what was recorded by ``as_of``.

    The caller chooses the profile: normally ``load_profile(protocol)`` for the protocol of
    ``session.as_of(as_of)``, with the clinic's overrides. When the session has no
    ``session.scheduled`` yet, its protocol is unknown and the profile passed in is used
    as is (``verdict.protocol`` is then None). A profile for a different protocol than the
    session's raises ValueError rather than judging the session by the wrong rules.

    ``patient`` holds the patient-level events (consents, REMS enrolment) and the patient's
    integration notes with the amendments that re-point them (see ``PatientHistory``); None
    means none are known, so consent cannot be shown. ``follow_ups`` are events recorded
    in other sessions that refer to this one: integration notes and amendments of them.
    A note counts when, as corrected, it names this session and is of this session's clinic
    and patient; nothing else in ``patient`` or ``follow_ups`` is taken for this session's.

    Deadlines are judged at ``as_of``; clinical times are each event's ``occurred_at``.
    ``zone`` is the clock the sentences tell times on (the clinic's, so that they match
    the pages around them); without it, the session's own (see ``SessionFacts.gather``).
    """
    verdict, _ = _evaluate(
        session=session,
        patient=patient,
        profile=profile,
        as_of=as_of,
        follow_ups=follow_ups,
        zone=zone,
    )
    return verdict


def evaluate_until(
    *,
    session: SessionHistory,
    patient: PatientHistory | None,
    profile: Profile,
    as_of: datetime,
    follow_ups: Iterable[Recorded] = (),
    zone: tzinfo | None = None,
) -> tuple[SessionVerdict, datetime | None]:
    """``evaluate``'s verdict, and the earliest instant after ``as_of`` at which it could
    read otherwise with the same profile: a deadline or a sentence's clock turning
    (``validity.next_change``), or an event of these histories recorded after ``as_of``
    becoming visible. None when nothing of either kind lies ahead."""
    follow_ups = tuple(follow_ups)
    verdict, facts = _evaluate(
        session=session,
        patient=patient,
        profile=profile,
        as_of=as_of,
        follow_ups=follow_ups,
        zone=zone,
    )
    instants = [
        instant
        for instant in (
            next_change(facts, verdict.rules),
            recorded_after(session.events, as_of=as_of),
            recorded_after(patient.events if patient is not None else (), as_of=as_of),
            recorded_after(follow_ups, as_of=as_of),
        )
        if instant is not None
    ]
    return verdict, min(instants, default=None)


def recorded_after(events: Iterable[Recorded], *, as_of: datetime) -> datetime | None:
    """When the first of ``events`` not yet recorded at ``as_of`` is; None if none is."""
    return min((r.recorded_at for r in events if r.recorded_at > as_of), default=None)


def _evaluate(
    *,
    session: SessionHistory,
    patient: PatientHistory | None,
    profile: Profile,
    as_of: datetime,
    follow_ups: Iterable[Recorded],
    zone: tzinfo | None,
) -> tuple[SessionVerdict, SessionFacts]:
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise ValueError("as_of must be timezone-aware")
    if patient is not None and (patient.clinic_id, patient.patient_id) != (
        session.clinic_id,
        session.patient_id,
    ):
        raise ValueError(
            f"patient history {patient.clinic_id}/{patient.patient_id} is not this session's "
            f"patient {session.clinic_id}/{session.patient_id}"
        )
    # Only what the log held at as_of counts: a verdict must be reproducible later.
    session = session.as_of(as_of)
    protocol = session.protocol
    if protocol is not None and protocol is not profile.protocol:
        raise ValueError(
            f"session {session.session_id} follows {protocol} (as of {as_of.isoformat()}) but "
            f"the profile is for {profile.protocol}"
        )
    patient_events = patient.as_of(as_of).events if patient is not None else ()
    later = tuple(r for r in follow_ups if r.recorded_at <= as_of)
    own, theirs, others = _corrected(session.events, patient_events, later)
    facts = SessionFacts.gather(
        session_id=session.session_id,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        profile=profile,
        as_of=as_of,
        session_events=own,
        patient_events=theirs,
        follow_ups=others,
        zone=zone,
    )
    results = tuple(_judge(rule_id, facts=facts) for rule_id in profile.enabled)
    verdict = SessionVerdict(
        session_id=session.session_id,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        protocol=protocol,
        status=session_status(ended=session.ended, results=results),
        as_of=as_of,
        rules=results,
        profile_version=profile.version,
    )
    return verdict, facts


def session_status(*, ended: bool, results: Iterable[RuleResult]) -> SessionStatus:
    """``open`` until the session ends; then any fail, else any pending, else compliant."""
    if not ended:
        return SessionStatus.OPEN
    outcomes = {result.outcome for result in results}
    if Outcome.FAIL in outcomes:
        return SessionStatus.NON_COMPLIANT
    if Outcome.PENDING in outcomes:
        return SessionStatus.PENDING
    return SessionStatus.COMPLIANT


def _corrected(
    own: tuple[Recorded, ...], patient: tuple[Recorded, ...], follow_ups: tuple[Recorded, ...]
) -> tuple[tuple[Recorded, ...], tuple[Recorded, ...], tuple[Recorded, ...]]:
    """The three event sets with every amendment applied, wherever the amendment lives
    (an event passed twice, e.g. a note in this history and in follow_ups, counts once)."""
    mine, theirs, others = (
        tuple(entry.recorded for entry in stream)
        for stream in amend_streams(own, patient, follow_ups)
    )
    return mine, theirs, others


def _judge(rule_id: str, *, facts: SessionFacts) -> RuleResult:
    protocols = RULE_PROTOCOLS[rule_id]
    if facts.protocol not in protocols:
        return RuleResult(
            rule_id=rule_id,
            outcome=Outcome.NOT_APPLICABLE,
            evidence=(),
            detail=f"This rule applies only to {', '.join(sorted(protocols))} sessions, not "
            f"{facts.protocol}.",
        )
    return RULES[rule_id](facts=facts)
