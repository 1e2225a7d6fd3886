"""The monthly report as one value: everything a page, a PDF or a CSV of it shows.

Built by a pure function from what the read side already computes (the clinic report,
the judged sessions, the ledger, the thresholds applied), so that every format and
every channel print the same figures, and tests can check the content without a
renderer.

The figures (rate, counts, weeks, protocols, failures by rule) always cover the whole
period; a ``ReportFilter`` narrows only the lists of sessions, as the dashboard's
overview does, and is named wherever the report is.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from projections.compliance import RULE_DESCRIPTIONS, Outcome, SessionStatus, SessionVerdict
from projections.ledger import Ledger, SubstanceTotals
from projections.reports import ClinicReport, compliance_rate
from services.judging import JudgedSession
from services.period import Period
from services.reporting.thresholds import ProfileApplied

__all__ = [
    "PENDING_MEANS",
    "ProtocolLine",
    "ReportDocument",
    "ReportFilter",
    "RuleCount",
    "RuleNote",
    "SessionLine",
    "SubstanceLine",
    "SubstanceSummary",
    "WeekLine",
    "build_report_document",
]

PENDING_MEANS: Final = (
    "Pending: the session has ended and no rule failed, but a rule waits on a deadline "
    "that has not passed yet (such as the integration note or the REMS form). "
    "Open: no session end is recorded yet. Neither counts in the compliance rate, which "
    "is compliant sessions over decided (compliant or non-compliant) ones."
)
"""Why pending and open sessions are not in the rate, printed with the counts."""

_OPEN_DETAIL: Final = "No session end is recorded yet; its rules are judged once it ends."


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportFilter:
    """The dashboard's filters: by status, protocol, or failing rule; empty keeps all."""

    status: str = ""
    protocol: str = ""
    rule: str = ""

    @property
    def active(self) -> bool:
        return bool(self.status or self.protocol or self.rule)

    def keeps(self, line: SessionLine) -> bool:
        return (
            (not self.status or line.status == self.status)
            and (not self.protocol or line.protocol == self.protocol)
            and (not self.rule or any(f.rule_id == self.rule for f in line.failures))
        )

    def describe(self) -> str:
        """``all sessions``, or e.g. ``status non_compliant, protocol iv-ketamine``."""
        parts = [
            f"{name} {value}"
            for name, value in (
                ("status", self.status),
                ("protocol", self.protocol),
                ("failing rule", self.rule),
            )
            if value
        ]
        return ", ".join(parts) if parts else "all sessions"

    def slug(self) -> str:
        """For file names: empty without a filter, else e.g. ``status-non_compliant``."""
        return "_".join(
            f"{name}-{value}"
            for name, value in (
                ("status", self.status),
                ("protocol", self.protocol),
                ("rule", self.rule),
            )
            if value
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleNote:
    """A rule's result in words: what it checks, and what happened."""

    rule_id: str
    description: str
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionLine:
    session_id: str
    start: datetime | None
    """On the clinic's clock."""
    protocol: str
    patient_id: str
    status: str
    failures: tuple[RuleNote, ...]
    waiting: tuple[RuleNote, ...]
    """Why a pending or open session is not decided yet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WeekLine:
    week_start: date
    sessions: int
    by_status: dict[str, int]
    compliance_rate: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolLine:
    protocol: str
    sessions: int
    by_status: dict[str, int]
    compliance_rate: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleCount:
    rule_id: str
    description: str
    sessions: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SubstanceLine:
    medication: str
    lot_number: str | None
    administered_mg: Decimal
    wasted_mg: Decimal

    @property
    def total_mg(self) -> Decimal:
        return self.administered_mg + self.wasted_mg


@dataclass(frozen=True, slots=True, kw_only=True)
class SubstanceSummary:
    lines: int
    by_medication: tuple[SubstanceLine, ...]
    by_lot: tuple[SubstanceLine, ...]
    unwitnessed_waste_sessions: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportDocument:
    clinic_id: str
    period: Period
    judged_at: datetime
    """The instant the verdicts were judged as of (aware)."""
    selection: ReportFilter
    sessions: int
    by_status: dict[str, int]
    compliance_rate: float | None
    protocols: tuple[ProtocolLine, ...]
    weeks: tuple[WeekLine, ...]
    failures_by_rule: tuple[RuleCount, ...]
    failing: tuple[SessionLine, ...]
    """Non-compliant sessions the filter keeps, by start."""
    undecided: tuple[SessionLine, ...]
    """Pending and open sessions the filter keeps, by start, with what they wait for."""
    listed: tuple[SessionLine, ...]
    """Every session the filter keeps, by start (the CSV's rows)."""
    substances: SubstanceSummary | None
    thresholds: tuple[ProfileApplied, ...]
    notes: tuple[tuple[str, str], ...] = field(default=())
    """Extra label/value lines under the title (an export names its id here)."""

    @property
    def decided(self) -> int:
        return self.by_status["compliant"] + self.by_status["non_compliant"]

    @property
    def judged_at_local(self) -> datetime:
        return self.judged_at.astimezone(self.period.zone)

    @property
    def title(self) -> str:
        return f"Compliance report: {self.clinic_id}, {self.period.first} to {self.period.last}"

    @property
    def running_header(self) -> str:
        """The line every printed page carries."""
        return (
            f"{self.clinic_id} · Period {self.period.first} to {self.period.last} "
            f"({self.period.zone.key}) · judged at "
            f"{self.judged_at_local:%Y-%m-%d %H:%M %Z} · {self.selection.describe()}"
        )

    def named_patients(self, *, every_session: bool) -> tuple[str, ...]:
        """The patients a rendering names: the CSV lists every session the filter keeps,
        the page only the failing and undecided ones."""
        lines = self.listed if every_session else (*self.failing, *self.undecided)
        return tuple(sorted({line.patient_id for line in lines}))

    def file_name(self, extension: str) -> str:
        """``clinic-demo-compliance-report-2026-11-01-to-2026-11-30[_filter].pdf``."""
        slug = self.selection.slug()
        filtered = f"_{slug}" if slug else ""
        return (
            f"{self.clinic_id}-compliance-report-{self.period.first}-to-{self.period.last}"
            f"{filtered}.{extension}"
        )


def build_report_document(
    *,
    report: ClinicReport,
    sessions: Sequence[JudgedSession],
    ledger: Ledger | None,
    thresholds: Sequence[ProfileApplied],
    period: Period,
    selection: ReportFilter | None = None,
    notes: Iterable[tuple[str, str]] = (),
) -> ReportDocument:
    """The report of ``report``'s period; ``sessions`` are the verdicts it was folded from."""
    chosen = selection or ReportFilter()
    lines = [
        _session_line(item.verdict, item.session_start, period=period)
        for item in sorted(
            sessions, key=lambda s: (s.session_start or period.end, s.verdict.session_id)
        )
    ]
    kept = tuple(line for line in lines if chosen.keeps(line))
    undecided = {SessionStatus.PENDING.value, SessionStatus.OPEN.value}
    return ReportDocument(
        clinic_id=report.clinic_id,
        period=period,
        judged_at=report.as_of,
        selection=chosen,
        sessions=report.sessions,
        by_status=dict(report.by_status),
        compliance_rate=report.compliance_rate,
        protocols=tuple(
            ProtocolLine(
                protocol=protocol,
                sessions=sum(counts.values()),
                by_status=dict(counts),
                compliance_rate=_rate(counts),
            )
            for protocol, counts in report.by_protocol.items()
        ),
        weeks=tuple(
            WeekLine(
                week_start=week.week_start,
                sessions=week.sessions,
                by_status=dict(week.by_status),
                compliance_rate=week.compliance_rate,
            )
            for week in report.weeks
        ),
        failures_by_rule=tuple(
            RuleCount(rule_id=rule_id, description=_described(rule_id), sessions=count)
            for rule_id, count in report.failures_by_rule.items()
        ),
        failing=tuple(line for line in kept if line.status == SessionStatus.NON_COMPLIANT),
        undecided=tuple(line for line in kept if line.status in undecided),
        listed=kept,
        substances=None if ledger is None else _substances(ledger),
        thresholds=tuple(thresholds),
        notes=tuple(notes),
    )


def _session_line(
    verdict: SessionVerdict, start: datetime | None, *, period: Period
) -> SessionLine:
    waiting = tuple(
        _note(result.rule_id, result.detail)
        for result in verdict.rules
        if result.outcome is Outcome.PENDING
    )
    if verdict.status is SessionStatus.OPEN:
        waiting = (RuleNote(rule_id="session.ended", description="", detail=_OPEN_DETAIL),)
    return SessionLine(
        session_id=verdict.session_id,
        start=start.astimezone(period.zone) if start else None,
        protocol=verdict.protocol.value if verdict.protocol else "unknown",
        patient_id=verdict.patient_id,
        status=verdict.status.value,
        failures=tuple(_note(r.rule_id, r.detail) for r in verdict.failed_rules),
        waiting=waiting,
    )


def _note(rule_id: str, detail: str) -> RuleNote:
    return RuleNote(rule_id=rule_id, description=_described(rule_id), detail=detail)


def _described(rule_id: str) -> str:
    return RULE_DESCRIPTIONS.get(rule_id, rule_id)


def _rate(counts: dict[str, int]) -> float | None:
    statuses = [SessionStatus(status) for status, n in counts.items() for _ in range(n)]
    return compliance_rate(statuses)


def _substances(ledger: Ledger) -> SubstanceSummary:
    return SubstanceSummary(
        lines=len(ledger.lines),
        by_medication=tuple(
            _substance(medication, None, totals)
            for medication, totals in ledger.by_medication.items()
        ),
        by_lot=tuple(
            _substance(medication, lot, totals)
            for (medication, lot), totals in ledger.by_lot.items()
        ),
        unwitnessed_waste_sessions=ledger.unwitnessed_waste_sessions,
    )


def _substance(medication: str, lot: str | None, totals: SubstanceTotals) -> SubstanceLine:
    return SubstanceLine(
        medication=medication,
        lot_number=lot,
        administered_mg=totals.administered_mg,
        wasted_mg=totals.wasted_mg,
    )
