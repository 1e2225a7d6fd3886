"""Paperwork after and about the session: integration note, REMS form, timely records."""

from __future__ import annotations

from datetime import datetime, timedelta

from events import EventEnvelope
from projections.compliance.facts import SessionFacts
from projections.compliance.outcome import RuleResult
from projections.compliance.rules.support import Judge, without_dose
from projections.compliance.wording import duration, kind, stamp

__all__ = ["contemporaneous", "integration_note_within_window", "rems_form_within_window"]

_INTEGRATION = Judge("integration.note_within_window")
_REMS_FORM = Judge("rems.monitoring_form_within_7_days")
_CONTEMPORANEOUS = Judge("documentation.contemporaneous")


def _by_deadline(
    judge: Judge,
    *,
    facts: SessionFacts,
    what: str,
    since: EventEnvelope,
    since_label: str,
    days: int,
    submissions: tuple[EventEnvelope, ...],
) -> RuleResult:
    """Pass on a submission by the deadline; pending until the deadline; fail after it."""
    deadline: datetime = since.occurred_at + timedelta(days=days)
    window = f"within {days} days of {since_label} at {stamp(since.occurred_at)}"
    on_time = [s for s in submissions if s.occurred_at <= deadline]
    if on_time:
        first = on_time[0]
        return judge.passed(
            first,
            since,
            detail=f"The {what} at {stamp(first.occurred_at)} came "
            f"{duration(first.occurred_at - since.occurred_at)} after {since_label} at "
            f"{stamp(since.occurred_at)}, within {days} days.",
        )
    if facts.as_of <= deadline:
        return judge.pending(
            since,
            detail=f"No {what} yet (as of {stamp(facts.as_of)}); it is due by {stamp(deadline)}, "
            f"{window}.",
            due=deadline,
        )
    late = submissions[0] if submissions else None
    after = (
        f"; the one at {stamp(late.occurred_at)} came "
        f"{duration(late.occurred_at - since.occurred_at)} after"
        if late
        else ""
    )
    return judge.failed(
        since,
        late,
        detail=f"No {what} was recorded {window} (due by {stamp(deadline)}){after}.",
    )


def integration_note_within_window(*, facts: SessionFacts) -> RuleResult:
    if not facts.doses:
        return without_dose(_INTEGRATION, facts=facts)
    if facts.ended is None:
        # The window runs from the session's end, so nothing can be judged before it.
        return _INTEGRATION.pending(
            detail=f"The session is still open (as of {stamp(facts.as_of)}); the "
            f"{facts.profile.integration_note_window_days}-day window for the integration "
            "note starts when it ends.",
        )
    return _by_deadline(
        _INTEGRATION,
        facts=facts,
        what="integration note",
        since=facts.ended,
        since_label="the session's end",
        days=facts.profile.integration_note_window_days,
        submissions=facts.integration_notes,
    )


def rems_form_within_window(*, facts: SessionFacts) -> RuleResult:
    first = facts.first_dose
    if first is None:
        return without_dose(_REMS_FORM, facts=facts)
    # The form covers the whole session, so its clock starts at the end; a session never
    # closed still owes the form, counted from the first dose.
    since, label = (facts.ended, "the session's end") if facts.ended else (first, "the first dose")
    return _by_deadline(
        _REMS_FORM,
        facts=facts,
        what="SPRAVATO Patient Monitoring Form",
        since=since,
        since_label=label,
        days=facts.profile.rems_form_window_days,
        submissions=facts.monitoring_forms,
    )


def contemporaneous(*, facts: SessionFacts) -> RuleResult:
    # Recording times are the server's (recorded_at); clinical times are the publisher's
    # (occurred_at). A long delay means the record was written from memory, after the fact.
    hours = facts.profile.documentation_max_delay_hours
    limit = timedelta(hours=hours)
    delays = [(r, r.recorded_at - r.event.occurred_at) for r in facts.recorded]
    if not delays:
        return _CONTEMPORANEOUS.not_applicable(
            detail=f"Nothing was recorded for this session by {stamp(facts.as_of)}."
        )
    late = [(r, delay) for r, delay in delays if delay > limit]
    if late:
        recorded, delay = late[0]
        more = f"; {len(late)} events in all were recorded late" if len(late) > 1 else ""
        return _CONTEMPORANEOUS.failed(
            *(r.event for r, _ in late),
            detail=f"The {kind(recorded.event.event_type)} of {stamp(recorded.event.occurred_at)} "
            f"was recorded at {stamp(recorded.recorded_at)}, {duration(delay)} later "
            f"(at most {hours} h allowed){more}.",
        )
    slowest, longest = max(delays, key=lambda pair: pair[1])
    return _CONTEMPORANEOUS.passed(
        slowest.event,
        detail=f"All {len(delays)} events of the session were recorded within {hours} h of "
        f"happening (the longest delay was {duration(max(longest, timedelta(0)))}).",
    )
