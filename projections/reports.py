"""The clinic compliance report for a period, folded from session verdicts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from projections.compliance import SessionStatus, SessionVerdict, VerdictSummary

__all__ = ["ClinicReport", "FailingSession", "WeekTrend", "build_clinic_report", "compliance_rate"]


@dataclass(frozen=True, slots=True, kw_only=True)
class FailingSession:
    session_id: str
    patient_id: str
    protocol: str | None
    session_start: datetime | None
    failed_rules: tuple[str, ...]
    profile_version: int | None = None
    """The clinic's profile version of the protocol the session was judged with."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekTrend:
    week_start: date
    """The Monday of the ISO week, on the session's own clock."""
    sessions: int
    by_status: dict[str, int]
    compliance_rate: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClinicReport:
    clinic_id: str
    start: datetime
    end: datetime
    as_of: datetime
    sessions: int
    by_status: dict[str, int]
    by_protocol: dict[str, dict[str, int]]
    """protocol -> status -> sessions (``unknown`` when no session.scheduled was seen)."""
    compliance_rate: float | None
    failures_by_rule: dict[str, int]
    failing_sessions: tuple[FailingSession, ...]
    weeks: tuple[WeekTrend, ...]
    profile_versions: dict[str, int] = field(default_factory=dict)
    """protocol -> the clinic's profile version its sessions were judged with (0: the
    shipped defaults)."""


def compliance_rate(statuses: Iterable[SessionStatus]) -> float | None:
    """Compliant sessions over decided ones; open and pending sessions are not yet decided."""
    counts = Counter(statuses)
    decided = counts[SessionStatus.COMPLIANT] + counts[SessionStatus.NON_COMPLIANT]
    return counts[SessionStatus.COMPLIANT] / decided if decided else None


def build_clinic_report(
    verdicts: Iterable[tuple[SessionVerdict | VerdictSummary, datetime | None]],
    *,
    clinic_id: str,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> ClinicReport:
    """Fold ``(verdict, session start)`` pairs of one clinic's sessions into its report."""
    pairs = sorted(
        ((_summary(verdict), when) for verdict, when in verdicts),
        key=lambda pair: (pair[1] or end, pair[0].session_id),
    )
    by_status = {status.value: 0 for status in SessionStatus}
    by_protocol: dict[str, dict[str, int]] = defaultdict(
        lambda: {status.value: 0 for status in SessionStatus}
    )
    failures: Counter[str] = Counter()
    failing: list[FailingSession] = []
    weekly: dict[date, list[SessionStatus]] = defaultdict(list)
    for verdict, session_start in pairs:
        by_status[verdict.status.value] += 1
        protocol = verdict.protocol.value if verdict.protocol else "unknown"
        by_protocol[protocol][verdict.status.value] += 1
        failed = verdict.failed_rule_ids
        failures.update(failed)
        if failed:
            failing.append(
                FailingSession(
                    session_id=verdict.session_id,
                    patient_id=verdict.patient_id,
                    protocol=verdict.protocol.value if verdict.protocol else None,
                    session_start=session_start,
                    failed_rules=failed,
                    profile_version=verdict.profile_version,
                )
            )
        if session_start is not None:
            day = session_start.date()
            weekly[day - timedelta(days=day.weekday())].append(verdict.status)
    return ClinicReport(
        clinic_id=clinic_id,
        start=start,
        end=end,
        as_of=as_of,
        sessions=len(pairs),
        by_status=by_status,
        by_protocol=dict(sorted(by_protocol.items())),
        compliance_rate=compliance_rate(v.status for v, _ in pairs),
        failures_by_rule=dict(sorted(failures.items(), key=lambda item: (-item[1], item[0]))),
        failing_sessions=tuple(failing),
        profile_versions={
            v.protocol.value: v.profile_version
            for v, _ in sorted(pairs, key=lambda pair: str(pair[0].protocol))
            if v.protocol is not None and v.profile_version is not None
        },
        weeks=tuple(
            WeekTrend(
                week_start=week,
                sessions=len(statuses),
                by_status={s.value: statuses.count(s) for s in SessionStatus},
                compliance_rate=compliance_rate(statuses),
            )
            for week, statuses in sorted(weekly.items())
        ),
    )


def _summary(verdict: SessionVerdict | VerdictSummary) -> VerdictSummary:
    return verdict.summary() if isinstance(verdict, SessionVerdict) else verdict
