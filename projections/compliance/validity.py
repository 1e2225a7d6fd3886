"""How long a verdict stays what it is when no new event arrives.

A verdict as of T changes without a new event only when the clock passes something the
rules compare ``as_of`` with (a deadline, a window's end), or when a sentence that tells
the instant it was judged at would read differently. ``next_change`` finds the earliest
such instant from the facts the rules saw; judging at any instant in ``[T, next_change)``
gives the same results. Where the exact instant is hard to tell, it answers earlier
(down to T itself: "valid at T only"), which is always safe.

Events recorded after T, and profile versions taking effect after T, are the caller's to
add (``projections.verdicts.judge_until``): they are not facts as of T.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from events import Severity
from projections.compliance.facts import SessionFacts
from projections.compliance.outcome import Outcome, RuleResult
from projections.compliance.wording import clock

__all__ = ["ONE_INSTANT", "next_change"]

ONE_INSTANT: Final = timedelta(microseconds=1)
"""The smallest step of the clock: a deadline ``d`` judged with ``as_of <= d`` turns at
``d + ONE_INSTANT``."""

_SEVERITY_RANK: Final = {severity: rank for rank, severity in enumerate(Severity)}


def _still_monitoring(facts: SessionFacts) -> Iterable[datetime]:
    # While the patient is neither discharged nor the session ended, the gap since the last
    # check grows with the clock and is told to the second: valid at the instant only.
    if facts.doses and facts.discharge is None and facts.ended is None:
        yield facts.as_of


def _unchecked_adverse_events(facts: SessionFacts) -> Iterable[datetime]:
    # Each serious event without a check in its window turns from waiting to missed when
    # its window closes, whether the rule is pending or already failed by another event.
    threshold = _SEVERITY_RANK[facts.profile.adverse_event_min_severity]
    window = timedelta(minutes=facts.profile.adverse_event_check_window_minutes)
    for event in facts.adverse_events:
        if _SEVERITY_RANK[event.payload.severity] < threshold:
            continue
        due = event.occurred_at + window
        checked = any(event.occurred_at <= c.occurred_at <= due for c in facts.checks)
        if not checked and facts.as_of <= due:
            yield due + ONE_INSTANT


_TIMED: Final[Mapping[str, Callable[[SessionFacts], Iterable[datetime]]]] = MappingProxyType(
    {
        "vitals.monitoring_interval": _still_monitoring,
        "adverse_event.followed_by_check": _unchecked_adverse_events,
    }
)
"""Rules whose outcome or sentence moves with the clock in ways a ``due`` does not say."""


def next_change(facts: SessionFacts, results: Iterable[RuleResult]) -> datetime | None:
    """The earliest instant after ``facts.as_of`` at which ``results`` could read otherwise
    with no new event; None when nothing time-based can change them."""
    results = tuple(results)
    instants: list[datetime] = []
    if not facts.recorded:
        # Nothing of the session's own yet: its sentences are told on the asker's clock.
        instants.append(facts.as_of)
    # A sentence telling the instant of judgement ("as of 14:10") reads otherwise at the
    # next minute. Looking for the clock text may also match another time of that minute;
    # that only makes the answer earlier.
    now = clock(facts.as_of)
    if any(now in result.detail for result in results):
        instants.append(facts.as_of.replace(second=0, microsecond=0) + timedelta(minutes=1))
    for result in results:
        # Every pending result that waits on a deadline says so; it fails just after it.
        if result.outcome is Outcome.PENDING and result.due is not None:
            instants.append(result.due + ONE_INSTANT)
        if result.outcome is not Outcome.NOT_APPLICABLE and result.rule_id in _TIMED:
            instants.extend(_TIMED[result.rule_id](facts))
    later = [instant for instant in instants if instant >= facts.as_of]
    return min(later, default=None)
