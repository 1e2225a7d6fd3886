"""Watching the patient after the dose: regular checks, and a check after an adverse event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Final

from events import AdverseEventReported, EventEnvelope, Severity, VitalsRecorded
from projections.compliance.facts import SessionFacts
from projections.compliance.outcome import RuleResult
from projections.compliance.rules.support import Judge, without_dose
from projections.compliance.wording import clock, in_minutes

__all__ = ["adverse_event_followed_by_check", "monitoring_interval"]

_INTERVAL = Judge("vitals.monitoring_interval")
_ADVERSE = Judge("adverse_event.followed_by_check")

_SEVERITY_RANK: Final = {severity: rank for rank, severity in enumerate(Severity)}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Mark:
    """A point on the monitoring timeline: the dose, a check, discharge, or "now"."""

    at: datetime
    label: str
    event: EventEnvelope | None


def _end_mark(facts: SessionFacts) -> _Mark:
    """Where monitoring is judged to: discharge; else the session's end; else as_of."""
    if facts.discharge is not None:
        at = facts.discharge.occurred_at
        return _Mark(at=at, label=f"discharge at {clock(at)}", event=facts.discharge)
    if facts.ended is not None:
        at = facts.ended.occurred_at
        return _Mark(at=at, label=f"the session end at {clock(at)}", event=facts.ended)
    # While the session is open, the time since the last check is already a gap.
    return _Mark(at=facts.as_of, label=f"{clock(facts.as_of)} (now)", event=None)


def monitoring_interval(*, facts: SessionFacts) -> RuleResult:
    dose = facts.first_dose
    if dose is None:
        return without_dose(_INTERVAL, facts=facts)
    limit = timedelta(minutes=facts.profile.monitoring_max_gap_minutes)
    allowed = f"at most {facts.profile.monitoring_max_gap_minutes} min is allowed"
    discharge, ended = facts.discharge, facts.ended
    last = _end_mark(facts)
    if last.event is not None and last.at < dose.occurred_at:
        # Otherwise the only "gap" is negative and the rule would pass on no monitoring at all.
        return _INTERVAL.failed(
            dose,
            last.event,
            detail=f"{last.label[0].upper()}{last.label[1:]} is recorded before the first dose "
            f"at {clock(dose.occurred_at)}, so no monitoring after the dose is shown.",
        )
    marks = [
        _Mark(at=dose.occurred_at, label=f"the first dose at {clock(dose.occurred_at)}", event=dose)
    ]
    marks += [
        _Mark(at=check.occurred_at, label=f"the check at {clock(check.occurred_at)}", event=check)
        for check in facts.checks
        if dose.occurred_at <= check.occurred_at <= last.at
    ]
    marks.append(last)
    gaps = [(start, end, end.at - start.at) for start, end in pairwise(marks)]
    too_long = [(start, end, gap) for start, end, gap in gaps if gap > limit]
    if too_long:
        start, end, gap = too_long[0]
        more = f"; {len(too_long)} gaps in all were longer" if len(too_long) > 1 else ""
        if end.event is None:
            what = f"No monitoring check since {start.label}: {in_minutes(gap)} by {end.label}"
        else:
            what = (
                f"No monitoring check for {in_minutes(gap)}, between {start.label} and {end.label}"
            )
        return _INTERVAL.failed(
            *(mark.event for s, e, _ in too_long for mark in (s, e)),
            detail=f"{what} ({allowed}{more}).",
        )
    checks = len(marks) - 2
    longest = in_minutes(max(gap for _, _, gap in gaps))
    so_far = f"{checks} checks, longest gap {longest}"
    if discharge is None and ended is None:
        return _INTERVAL.pending(
            dose,
            *(mark.event for mark in marks),
            detail=f"No gap over {facts.profile.monitoring_max_gap_minutes} min from the first "
            f"dose at {clock(dose.occurred_at)} to {clock(facts.as_of)} ({so_far}); the patient "
            "has not been discharged yet.",
        )
    if discharge is None and ended is not None:
        return _INTERVAL.failed(
            *(mark.event for mark in marks),
            detail=f"The session ended at {clock(ended.occurred_at)} without a recorded "
            "discharge, so monitoring until discharge cannot be shown "
            f"({so_far} after the first dose).",
        )
    return _INTERVAL.passed(
        *(mark.event for mark in marks),
        detail=f"Monitoring checks were at most {facts.profile.monitoring_max_gap_minutes} min "
        f"apart from the first dose at {clock(dose.occurred_at)} to {last.label} ({so_far}).",
    )


def _named(event: AdverseEventReported) -> str:
    severity = event.payload.severity.replace("_", "-")
    category = event.payload.category.replace("_", " ")
    return f"{severity} {category} event at {clock(event.occurred_at)}"


def adverse_event_followed_by_check(*, facts: SessionFacts) -> RuleResult:
    threshold = facts.profile.adverse_event_min_severity
    serious = [
        event
        for event in facts.adverse_events
        if _SEVERITY_RANK[event.payload.severity] >= _SEVERITY_RANK[threshold]
    ]
    if not serious:
        milder = len(facts.adverse_events)
        also = f" ({milder} milder one{'s' if milder > 1 else ''} reported)" if milder else ""
        return _ADVERSE.not_applicable(
            *facts.adverse_events,
            detail=f"No adverse event of {threshold} severity or worse was reported{also}.",
        )
    window = timedelta(minutes=facts.profile.adverse_event_check_window_minutes)
    minutes = f"{facts.profile.adverse_event_check_window_minutes} min"
    followed: list[tuple[AdverseEventReported, VitalsRecorded]] = []
    waiting: list[AdverseEventReported] = []
    missed: list[AdverseEventReported] = []
    for event in serious:
        due = event.occurred_at + window
        check = next((c for c in facts.checks if event.occurred_at <= c.occurred_at <= due), None)
        if check is not None:
            followed.append((event, check))
        elif facts.as_of <= due:
            waiting.append(event)
        else:
            missed.append(event)

    if missed:
        more = f"; {len(missed)} events in all went unchecked" if len(missed) > 1 else ""
        return _ADVERSE.failed(
            *missed,
            detail=f"The {_named(missed[0])} was not followed by a monitoring check within "
            f"{minutes} (by {clock(missed[0].occurred_at + window)}){more}.",
        )
    if waiting:
        return _ADVERSE.pending(
            *waiting,
            detail=f"The {_named(waiting[0])} has no monitoring check yet; its {minutes} window "
            f"closes at {clock(waiting[0].occurred_at + window)}.",
            due=waiting[0].occurred_at + window,
        )
    event, check = followed[0]
    more = f" (all {len(followed)} such events were checked in time)" if len(followed) > 1 else ""
    return _ADVERSE.passed(
        *(item for pair in followed for item in pair),
        detail=f"The {_named(event)} was followed by a monitoring check at "
        f"{clock(check.occurred_at)}, {in_minutes(check.occurred_at - event.occurred_at)} later, "
        f"within {minutes}{more}.",
    )
