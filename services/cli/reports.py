"""``kapaudit report``: verdicts, clinic reports and the ledger, in the terminal or as JSON.

Every command that prints patient data records it in the access log first
(``services.cli.audited``), as the API and the dashboard do."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pydantic import BaseModel
from rich.table import Table

from events import AccessOutcome
from projections.compliance import Outcome, SessionStatus
from projections.summaries import clock_time
from services.bodies.access import AccessReport
from services.bodies.common import PeriodOut
from services.bodies.ledger import ControlledSubstanceLedger
from services.bodies.report import ComplianceReport
from services.bodies.sessions import SessionCompliance, SessionSummary
from services.bodies.timeline import SessionTimeline
from services.cli.audited import CliReads, ask_audited, read_request, shown
from services.cli.common import console, load_settings, parse_instant, printable
from services.cli.errors import CliError, friendly_errors
from services.clinic_zones import ClinicZones
from services.clock import SystemClock
from services.judging import session_start
from services.period import Period, PeriodError, parse_bound, resolve_period
from services.reading.queries import HistoryQueries, SessionView
from services.reporting import (
    PdfUnavailableError,
    ReportDocument,
    load_report_document,
    render_csv,
    render_html,
    render_pdf,
)

__all__ = ["From", "To", "clinic_period", "report_app"]

T = TypeVar("T")

report_app = typer.Typer(
    help="Compliance verdicts, clinic reports, the ledger.", no_args_is_help=True
)

AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Judge as of this instant (default: now).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
From = Annotated[
    str | None,
    typer.Option(
        "--from",
        help="First day (included) or start instant of the period; days begin at midnight "
        "in the clinic's time zone (default: the 7 days ending with --to).",
    ),
]
To = Annotated[
    str | None,
    typer.Option(
        "--to",
        help="Last day (included) or end instant (excluded) of the period "
        "(default: today, at the clinic).",
    ),
]

_STATUS_STYLE = {
    SessionStatus.COMPLIANT: "green",
    SessionStatus.NON_COMPLIANT: "bold red",
    SessionStatus.PENDING: "yellow",
    SessionStatus.OPEN: "cyan",
}
_OUTCOME_STYLE = {
    Outcome.PASS: "green",
    Outcome.FAIL: "bold red",
    Outcome.PENDING: "yellow",
    Outcome.NOT_APPLICABLE: "dim",
}


def _clinic_read(
    command: str,
    options: dict[str, str | None],
    *,
    clinic_id: str,
    period: Period,
    load: Callable[[HistoryQueries, Period], Awaitable[T]],
    disclosed: Callable[[T], Iterable[str]],
) -> T:
    """A clinic's data over ``period``, its patients recorded in the access log before
    anything is printed."""

    async def question(cli: CliReads) -> T:
        outcome = await cli.reads.clinic(
            read_request(command, **options),
            clinic_id=clinic_id,
            period=period,
            load=lambda chosen: load(cli.queries, chosen),
            disclosed=disclosed,
        )
        return shown(outcome, what=repr(clinic_id), hint="check the clinic id")

    return ask_audited(question)


def _clinic_look(
    command: str,
    options: dict[str, str | None],
    *,
    clinic_id: str,
    period: Period,
    load: Callable[[HistoryQueries, Period], Awaitable[T]],
    patient_id: str | None,
) -> T:
    """The access report over ``period``, the look recorded once in the access log
    (``AuditedReads.clinic_look``) before anything is printed."""

    async def question(cli: CliReads) -> T:
        outcome = await cli.reads.clinic_look(
            read_request(command, **options),
            clinic_id=clinic_id,
            period=period,
            load=lambda chosen: load(cli.queries, chosen),
            patient_id=patient_id,
        )
        return shown(outcome, what=repr(clinic_id), hint="check the clinic id")

    return ask_audited(question)


def _table(title: str, *columns: str) -> Table:
    """A table; every cell added as a string is markup, so data goes in through _cells."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


def clinic_period(clinic_id: str, start_text: str | None, end_text: str | None) -> Period:
    """The period as the API and the dashboard read it, in the clinic's time zone."""
    zone = ClinicZones.from_settings(load_settings()).for_clinic(clinic_id)
    try:
        end = parse_bound(end_text, parameter="to") if end_text is not None else None
        start = parse_bound(start_text, parameter="from") if start_text is not None else None
        return resolve_period(start, end, zone=zone, now=SystemClock().now())
    except PeriodError as problem:
        raise CliError(
            f"--{problem.parameter}: {problem.message}",
            hint="dates are whole days at the clinic, both included, e.g. "
            "--from 2026-11-27 --to 2026-12-03; or instants such as 2026-11-24T17:00:00-07:00",
        ) from None


def _echo_json(body: Mapping[str, BaseModel] | BaseModel) -> None:
    """Print the API's body (``services.bodies``) for the same question."""
    if isinstance(body, BaseModel):
        typer.echo(json.dumps(body.model_dump(mode="json")))
    else:
        typer.echo(json.dumps({key: part.model_dump(mode="json") for key, part in body.items()}))


def _cells(*values: object) -> list[str]:
    """Table cells holding data (ids, names, free text) printed as it is, never as markup."""
    return [printable(str(value)) for value in values]


@report_app.command("session")
@friendly_errors
def session_report(session_id: str, as_of: AsOf = None, as_json: AsJson = False) -> None:
    """A session's verdict, rule by rule, and its timeline."""
    zones = ClinicZones.from_settings(load_settings())
    # Refused before the log is read; the session's clinic (its clock) is known only after.
    parse_instant(as_of, option="--as-of", zone=zones.for_clinic(None))

    async def both(cli: CliReads) -> SessionView:
        outcome = await cli.reads.session(
            read_request(f"kapaudit report session {session_id}", as_of=as_of),
            session_id=session_id,
            load=lambda owner: cli.queries.view(
                owner.session_id,
                # On the clock of the session's clinic, known once its owner is.
                as_of=parse_instant(
                    as_of, option="--as-of", zone=zones.for_clinic(owner.clinic_id)
                ),
            ),
        )
        return shown(
            outcome,
            what=repr(session_id),
            hint="`kapaudit report sessions CLINIC` lists the sessions",
        )

    view = ask_audited(both)
    verdict, timeline = view.verdict, view.timeline
    if as_json:
        _echo_json(
            {
                "verdict": SessionCompliance.of(verdict),
                "timeline": SessionTimeline.from_read_model(timeline),
            }
        )
        return
    style = _STATUS_STYLE[verdict.status]
    protocol = verdict.protocol.value if verdict.protocol else "unknown protocol"
    console.print(
        f"[bold]{printable(verdict.session_id)}[/] {printable(protocol)}, "
        f"patient {printable(verdict.patient_id)}: "
        f"[{style}]{verdict.status.value}[/] as of {verdict.as_of.isoformat(timespec='seconds')}"
    )
    rules = _table("Rules", "rule", "outcome", "detail")
    for result in verdict.rules:
        rules.add_row(
            printable(result.rule_id),
            f"[{_OUTCOME_STYLE[result.outcome]}]{result.outcome.value}[/]",
            printable(result.detail),
        )
    console.print(rules)
    events = _table("Timeline", "time", "event", "who", "summary")
    session_days = {e.occurred_at.date() for e in timeline.entries if e.scope == "session"}
    for entry in timeline.entries:
        summary = printable(entry.summary)
        if entry.original_summary:
            summary += f"\n[dim]originally: {printable(entry.original_summary)}[/]"
        for note in entry.amendments:
            summary += f"\n[dim]amended by {printable(note.author)}: {printable(note.reason)}[/]"
        when = clock_time(entry.occurred_at)
        if entry.occurred_at.date() not in session_days:
            when = f"{entry.occurred_at.date()} {when}"
        events.add_row(
            *_cells(when, entry.event_type, f"{entry.actor_id} ({entry.actor_role})"), summary
        )
    console.print(events)


class ReportFormat(StrEnum):
    TABLE = "table"
    JSON = "json"
    CSV = "csv"
    HTML = "html"
    PDF = "pdf"


Format = Annotated[
    ReportFormat | None,
    typer.Option(
        "--format",
        help="table (default), json, or the printable report as csv, html or pdf "
        "(pdf goes to --out, else to a file named after the clinic and period here).",
    ),
]
Out = Annotated[
    Path | None,
    typer.Option("--out", help="Write csv, html or pdf to this file (never overwritten)."),
]


@report_app.command("clinic")
@friendly_errors
def clinic_report(
    clinic_id: str,
    start: From = None,
    end: To = None,
    as_of: AsOf = None,
    as_json: AsJson = False,
    output: Format = None,
    out: Out = None,
) -> None:
    """A clinic's compliance over a period: rates, failures by rule, failing sessions."""
    chosen = output or (ReportFormat.JSON if as_json else ReportFormat.TABLE)
    if as_json and output not in (None, ReportFormat.JSON):
        raise CliError("--json and --format disagree", hint="pass one of them")
    if out is not None and chosen in (ReportFormat.TABLE, ReportFormat.JSON):
        raise CliError("--out is for csv, html and pdf", hint="add --format pdf, say")
    period = clinic_period(clinic_id, start, end)
    instant = parse_instant(as_of, option="--as-of", zone=period.zone)
    if chosen in (ReportFormat.CSV, ReportFormat.HTML, ReportFormat.PDF):
        if out is not None and out.exists():
            raise CliError(f"{out} exists", hint="choose another --out, or remove that file")
        _printable_report(
            clinic_id,
            period,
            options={"from": start, "to": end, "as_of": as_of, "format": chosen.value},
            as_of=instant,
            form=chosen,
            out=out,
        )
        return

    report = _clinic_read(
        f"kapaudit report clinic {clinic_id}",
        {"from": start, "to": end, "as_of": as_of},
        clinic_id=clinic_id,
        period=period,
        load=lambda q, chosen: q.clinic_report(
            clinic_id, start=chosen.start, end=chosen.end, as_of=instant
        ),
        # Counts disclose no one; the failing sessions name their patients.
        disclosed=lambda report: (s.patient_id for s in report.failing_sessions),
    )
    if chosen is ReportFormat.JSON:
        _echo_json(ComplianceReport.from_read_model(report, period=PeriodOut.of(period)))
        return
    rate = f"{report.compliance_rate:.0%}" if report.compliance_rate is not None else "n/a"
    console.print(
        f"[bold]{printable(clinic_id)}[/] {printable(period.describe())}: "
        f"{report.sessions} sessions, compliance rate {rate} (of decided sessions)"
    )
    if report.profile_versions:
        # Which thresholds the verdicts used: `kapaudit profile show` lists each version.
        used = ", ".join(f"{p} v{v}" for p, v in report.profile_versions.items())
        console.print(f"Profile versions in force: {printable(used)}")
    statuses = Table(title="Sessions by protocol and status")
    statuses.add_column("protocol")
    for status in SessionStatus:
        statuses.add_column(status.value, justify="right")
    for protocol, counts in report.by_protocol.items():
        statuses.add_row(printable(protocol), *(str(counts[s.value]) for s in SessionStatus))
    statuses.add_row("[bold]all[/]", *(str(report.by_status[s.value]) for s in SessionStatus))
    console.print(statuses)
    if report.failures_by_rule:
        failures = _table("Failures by rule", "rule", "sessions")
        for rule_id, count in report.failures_by_rule.items():
            failures.add_row(*_cells(rule_id, count))
        console.print(failures)
        failing = _table(
            "Failing sessions", "session", "start", "protocol", "patient", "failed rules"
        )
        for item in report.failing_sessions:
            failing.add_row(
                *_cells(
                    item.session_id,
                    item.session_start.isoformat(timespec="minutes") if item.session_start else "",
                    item.protocol or "unknown",
                    item.patient_id,
                    ", ".join(item.failed_rules),
                )
            )
        console.print(failing)
    weeks = _table("Weeks", "week of", "sessions", "non_compliant", "rate")
    for week in report.weeks:
        weeks.add_row(
            str(week.week_start),
            str(week.sessions),
            str(week.by_status["non_compliant"]),
            f"{week.compliance_rate:.0%}" if week.compliance_rate is not None else "n/a",
        )
    console.print(weeks)


def _printable_report(
    clinic_id: str,
    period: Period,
    *,
    options: dict[str, str | None],
    as_of: datetime | None,
    form: ReportFormat,
    out: Path | None,
) -> None:
    """The monthly report as a file (or csv and html on standard output); the patients it
    names are recorded in the access log before it is written."""
    judged_at = as_of or SystemClock().now()
    document: ReportDocument = _clinic_read(
        f"kapaudit report clinic {clinic_id}",
        options,
        clinic_id=clinic_id,
        period=period,
        load=lambda q, chosen: load_report_document(q, clinic_id, chosen, as_of=judged_at),
        # The CSV lists every session; the printed report names the failing and pending.
        disclosed=lambda doc: doc.named_patients(every_session=form is ReportFormat.CSV),
    )
    if form is ReportFormat.PDF:
        try:
            content: bytes = render_pdf(document)
        except PdfUnavailableError as error:
            raise CliError(error.message, hint=error.hint) from None
        # A PDF on a terminal is noise: without --out it gets the download's file name.
        target = out or Path(document.file_name("pdf"))
        if target.exists():
            raise CliError(f"{target} exists", hint="pass --out FILE, or remove that file")
    else:
        text = render_csv(document) if form is ReportFormat.CSV else render_html(document)
        if out is None:
            typer.echo(text, nl=False)
            return
        content, target = text.encode("utf-8"), out
    target.write_bytes(content)
    console.print(f"[green]wrote[/] {printable(target)}", soft_wrap=True)


@report_app.command("sessions")
@friendly_errors
def sessions_report(
    clinic_id: str,
    start: From = None,
    end: To = None,
    as_of: AsOf = None,
    as_json: AsJson = False,
) -> None:
    """A clinic's sessions starting in a period, by start, with status and failed rules."""
    period = clinic_period(clinic_id, start, end)
    instant = parse_instant(as_of, option="--as-of", zone=period.zone)

    judged = _clinic_read(
        f"kapaudit report sessions {clinic_id}",
        {"from": start, "to": end, "as_of": as_of},
        clinic_id=clinic_id,
        period=period,
        load=lambda q, chosen: q.verdicts(
            clinic_id, start=chosen.start, end=chosen.end, as_of=instant
        ),
        disclosed=lambda judged: (verdict.patient_id for _, verdict in judged),
    )
    rows = [
        SessionSummary.of(
            verdict,
            # Booked when the verdict is told, as the API tells it (a later booking that
            # moved the session is not yet known then).
            session_start=session_start(history if instant is None else history.as_of(instant)),
        )
        for history, verdict in judged
    ]
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "period": PeriodOut.of(period).model_dump(mode="json"),
                    "sessions": [row.model_dump(mode="json") for row in rows],
                }
            )
        )
        return
    table = _table(
        f"Sessions of {printable(clinic_id)}, {printable(period.describe())}: {len(rows)}",
        *("session", "start", "protocol", "profile", "patient", "status", "failed rules"),
    )
    for row in rows:
        started = row.session_start
        table.add_row(
            *_cells(
                row.session_id,
                started.isoformat(timespec="minutes") if started else "",
                row.protocol.value if row.protocol else "unknown",
                "" if row.profile_version is None else f"v{row.profile_version}",
                row.patient_id,
                row.status.value,
                ", ".join(row.failed_rules),
            )
        )
    console.print(table)


@report_app.command("ledger")
@friendly_errors
def ledger_report(
    clinic_id: str,
    start: From = None,
    end: To = None,
    as_of: AsOf = None,
    as_json: AsJson = False,
) -> None:
    """The controlled-substance ledger: every administration and waste, totals by lot."""
    period = clinic_period(clinic_id, start, end)
    instant = parse_instant(as_of, option="--as-of", zone=period.zone)

    ledger = _clinic_read(
        f"kapaudit report ledger {clinic_id}",
        {"from": start, "to": end, "as_of": as_of},
        clinic_id=clinic_id,
        period=period,
        load=lambda q, chosen: q.ledger(
            clinic_id, start=chosen.start, end=chosen.end, as_of=instant
        ),
        disclosed=lambda ledger: (line.patient_id for line in ledger.lines),
    )
    if as_json:
        _echo_json(ControlledSubstanceLedger.from_read_model(ledger, period=PeriodOut.of(period)))
        return
    lines = _table(
        f"Controlled substances, {printable(clinic_id)}, {printable(period.describe())}",
        *("time", "kind", "drug", "mg", "lot", "by", "witness", "session"),
    )
    for line in ledger.lines:
        witness = printable(line.witness_id or "")
        if line.unwitnessed:
            witness = f"[bold red]{witness or 'none'} (not a second person)[/]"
        lines.add_row(
            *_cells(
                line.occurred_at.isoformat(timespec="minutes"),
                line.kind,
                line.medication,
                f"{line.amount_mg:g}",
                line.lot_number,
                line.actor_id,
            ),
            witness,
            printable(line.session_id),
        )
    console.print(lines)
    totals = _table("Totals by lot", "drug", "lot", "administered mg", "wasted mg")
    for (medication, lot), sums in ledger.by_lot.items():
        totals.add_row(*_cells(medication, lot, f"{sums.administered_mg:g}", f"{sums.wasted_mg:g}"))
    console.print(totals)
    if ledger.unwitnessed_waste_sessions:
        console.print(
            "[bold red]Unwitnessed waste in:[/] "
            + printable(", ".join(ledger.unwitnessed_waste_sessions))
        )


@report_app.command("access")
@friendly_errors
def access_report(
    clinic_id: str,
    patient: Annotated[str | None, typer.Option("--patient", help="Only this patient.")] = None,
    token: Annotated[str | None, typer.Option("--token", help="Only this token's reads.")] = None,
    outcome: Annotated[
        AccessOutcome | None, typer.Option("--outcome", help="Only allowed or only denied reads.")
    ] = None,
    exclude_reader: Annotated[
        str | None,
        typer.Option("--exclude-reader", help="Leave out this token's reads, e.g. cli:you@host."),
    ] = None,
    start: From = None,
    end: To = None,
    as_json: AsJson = False,
) -> None:
    """Who read which patient's data, and when (an accounting of disclosures); denied
    reads in red."""
    period = clinic_period(clinic_id, start, end)

    report = _clinic_look(
        f"kapaudit report access {clinic_id}",
        {
            "from": start,
            "to": end,
            "patient_id": patient,
            "token_name": token,
            "outcome": outcome.value if outcome else None,
            "exclude_reader": exclude_reader,
        },
        clinic_id=clinic_id,
        period=period,
        load=lambda q, chosen: q.access_report(
            clinic_id,
            start=chosen.start,
            end=chosen.end,
            patient_id=patient,
            token_name=token,
            outcome=outcome.value if outcome else None,
            excluded_reader=exclude_reader,
        ),
        patient_id=patient,
    )
    if as_json:
        _echo_json(AccessReport.from_read_model(report, period=PeriodOut.of(period)))
        return
    table = _table(
        f"Reads of {printable(clinic_id)} data, {printable(period.describe())}",
        *("time", "reader", "role", "via", "patient", "resource", "outcome"),
    )
    for line in report.lines:
        table.add_row(
            *_cells(
                line.occurred_at.isoformat(timespec="seconds"),
                line.token_name,
                line.role,
                line.channel,
                # A look at this report was recorded once, of no patient: `-` would read as
                # a patient's id.
                "none (access report)" if line.clinic_level else line.patient_id,
                line.resource,
            ),
            # A refused read is what the reader of this report looks for first.
            "[bold red]denied[/]" if line.outcome == AccessOutcome.DENIED else line.outcome,
        )
    console.print(table)
