"""A small month of judged sessions, built by hand, for the report document's tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from events import Protocol
from projections.compliance import Outcome, RuleResult, SessionStatus, SessionVerdict
from projections.ledger import build_ledger
from projections.profiles import ProfileHistory
from projections.reports import build_clinic_report
from services.judging import JudgedSession
from services.period import Period
from services.reporting import ReportDocument, ReportFilter, build_report_document
from services.reporting.thresholds import thresholds_applied

ZONE = ZoneInfo("America/Denver")
PERIOD = Period.of_days(date(2026, 11, 1), date(2026, 11, 30), zone=ZONE)
JUDGED_AT = datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
GAP_DETAIL = "No monitoring check from 10:05 to 10:31 (26 min); the limit is 15 min."
NOTE_DETAIL = "The integration note is due by 2026-12-04 11:00; none is recorded yet."


def _result(rule_id: str, outcome: Outcome, detail: str = "ok") -> RuleResult:
    return RuleResult(rule_id=rule_id, outcome=outcome, evidence=(), detail=detail)


def judged(
    session_id: str,
    *,
    day: int,
    protocol: Protocol | None,
    status: SessionStatus,
    rules: tuple[RuleResult, ...] = (),
) -> JudgedSession:
    start = datetime(2026, 11, day, 9, 0, tzinfo=ZONE)
    verdict = SessionVerdict(
        session_id=session_id,
        clinic_id="clinic-demo",
        patient_id=f"pt-{session_id}",
        protocol=protocol,
        status=status,
        as_of=JUDGED_AT,
        rules=rules or (_result("consent.before_first_dose", Outcome.PASS),),
    )
    return JudgedSession(verdict=verdict, session_start=start.astimezone(UTC))


def month() -> list[JudgedSession]:
    """Two weeks with sessions, two protocols; compliant, failing, pending, open."""
    return [
        judged("sess-01", day=2, protocol=Protocol.IV_KETAMINE, status=SessionStatus.COMPLIANT),
        judged(
            "sess-02",
            day=3,
            protocol=Protocol.IV_KETAMINE,
            status=SessionStatus.NON_COMPLIANT,
            rules=(_result("vitals.monitoring_interval", Outcome.FAIL, GAP_DETAIL),),
        ),
        judged(
            "sess-03",
            day=10,
            protocol=Protocol.SPRAVATO_REMS,
            status=SessionStatus.PENDING,
            rules=(_result("integration.note_within_window", Outcome.PENDING, NOTE_DETAIL),),
        ),
        judged("sess-04", day=11, protocol=Protocol.SPRAVATO_REMS, status=SessionStatus.OPEN),
    ]


def document(
    *,
    sessions: list[JudgedSession] | None = None,
    selection: ReportFilter | None = None,
    profiles: ProfileHistory | None = None,
) -> ReportDocument:
    chosen = month() if sessions is None else sessions
    report = build_clinic_report(
        ((s.verdict, s.session_start) for s in chosen),
        clinic_id="clinic-demo",
        start=PERIOD.start,
        end=PERIOD.end,
        as_of=JUDGED_AT,
    )
    protocols = {s.verdict.protocol for s in chosen if s.verdict.protocol}
    return build_report_document(
        report=report,
        sessions=chosen,
        ledger=build_ledger(
            [], clinic_id="clinic-demo", start=PERIOD.start, end=PERIOD.end, as_of=JUDGED_AT
        ),
        thresholds=thresholds_applied(
            profiles or ProfileHistory(), "clinic-demo", protocols, as_of=JUDGED_AT
        ),
        period=PERIOD,
        selection=selection,
    )
