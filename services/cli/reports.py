"""``kapaudit report``: verdicts, clinic reports and the ledger, in the terminal or as JSON."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, TypeVar

import typer
from rich.table import Table

from projections.compliance import Outcome, SessionStatus, SessionVerdict
from projections.summaries import clock_time
from projections.timeline import Timeline
from services.cli.common import console, load_settings, parse_instant, printable, queries
from services.cli.errors import CliError, friendly_errors
from services.jsonable import jsonable
from services.queries import ComplianceQueries, SessionNotFoundError

__all__ = ["report_app"]

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
        "--from", help="First day or instant of the period (default: a week before --to)."
    ),
]
To = Annotated[
    str | None, typer.Option("--to", help="End of the period, exclusive (default: now).")
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


def _ask(question: Callable[[ComplianceQueries], Awaitable[T]]) -> T:
    """Run one question against read models brought up to date first."""

    async def run() -> T:
        async with queries(load_settings()) as q:
            return await question(q)

    return asyncio.run(run())


def _table(title: str, *columns: str) -> Table:
    """A table; every cell added as a string is markup, so data goes in through _cells."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


def _period(start_text: str | None, end_text: str | None) -> tuple[datetime, datetime]:
    end = parse_instant(end_text, option="--to") or datetime.now(UTC)
    start = parse_instant(start_text, option="--from") or end - timedelta(days=7)
    if end <= start:
        raise CliError("--to must be later than --from", hint="the period is [from, to)")
    return start, end


def _cells(*values: object) -> list[str]:
    """Table cells holding data (ids, names, free text) printed as it is, never as markup."""
    return [printable(str(value)) for value in values]


@report_app.command("session")
@friendly_errors
def session_report(session_id: str, as_of: AsOf = None, as_json: AsJson = False) -> None:
    """A session's verdict, rule by rule, and its timeline."""
    instant = parse_instant(as_of, option="--as-of")

    async def both(q: ComplianceQueries) -> tuple[SessionVerdict, Timeline]:
        try:
            return (
                await q.verdict(session_id, as_of=instant),
                await q.timeline(session_id, as_of=instant),
            )
        except SessionNotFoundError:
            raise CliError(
                f"no session {session_id!r} in the log",
                hint="`kapaudit report clinic CLINIC` lists the sessions",
            ) from None

    verdict, timeline = _ask(both)
    if as_json:
        typer.echo(json.dumps({"verdict": jsonable(verdict), "timeline": jsonable(timeline)}))
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


@report_app.command("clinic")
@friendly_errors
def clinic_report(
    clinic_id: str,
    start: From = None,
    end: To = None,
    as_of: AsOf = None,
    as_json: AsJson = False,
) -> None:
    """A clinic's compliance over a period: rates, failures by rule, failing sessions."""
    period = _period(start, end)
    instant = parse_instant(as_of, option="--as-of")

    report = _ask(
        lambda q: q.clinic_report(clinic_id, start=period[0], end=period[1], as_of=instant)
    )
    if as_json:
        typer.echo(json.dumps(jsonable(report)))
        return
    rate = f"{report.compliance_rate:.0%}" if report.compliance_rate is not None else "n/a"
    console.print(
        f"[bold]{printable(clinic_id)}[/] {period[0].date()} to {period[1].date()}: "
        f"{report.sessions} sessions, compliance rate {rate} (of decided sessions)"
    )
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
    period = _period(start, end)
    instant = parse_instant(as_of, option="--as-of")

    ledger = _ask(lambda q: q.ledger(clinic_id, start=period[0], end=period[1], as_of=instant))
    if as_json:
        typer.echo(json.dumps(jsonable(ledger)))
        return
    lines = _table(
        f"Controlled substances, {printable(clinic_id)}, {period[0].date()} to {period[1].date()}",
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
    start: From = None,
    end: To = None,
    as_json: AsJson = False,
) -> None:
    """Who read which patient's data, and when (an accounting of disclosures)."""
    period = _period(start, end)

    report = _ask(
        lambda q: q.access_report(
            clinic_id, start=period[0], end=period[1], patient_id=patient, token_name=token
        )
    )
    if as_json:
        typer.echo(json.dumps(jsonable(report)))
        return
    table = _table(
        f"Reads of {printable(clinic_id)} data, {period[0].date()} to {period[1].date()}",
        *("time", "reader", "role", "via", "patient", "resource", "outcome"),
    )
    for line in report.lines:
        table.add_row(
            *_cells(
                line.occurred_at.isoformat(timespec="seconds"),
                line.token_name,
                line.role,
                line.channel,
                line.patient_id,
                line.resource,
                line.outcome,
            )
        )
    console.print(table)
