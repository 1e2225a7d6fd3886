"""How ``kapaudit verify`` shows what it found: a verdict line and a table in the terminal,
or one JSON object for scripts.

Apart from the command, so that ``main`` keeps only the wiring (settings, store, progress)
and the words and fields a reader or a script relies on live in one place."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Table

from services.cli.common import console
from services.verification import VerificationReport

__all__ = ["print_report", "report_json"]


def report_json(report: VerificationReport) -> dict[str, object]:
    """``report`` as ``kapaudit verify --json`` prints it."""
    return {
        "intact": report.intact,
        "events": report.events,
        "streams": report.streams,
        "broken": [
            {
                "stream_id": link.stream_id,
                "sequence": link.sequence,
                "position": link.position,
                "event_id": link.event_id,
                "problem": link.problem.value,
                "detail": link.detail,
            }
            for link in report.broken
        ],
        "checkpoint": (
            None
            if report.checkpoint is None
            else {
                "size": report.checkpoint.size,
                "root_hash": report.checkpoint.root_hash,
                "signed_by": list(report.checkpoint.signed_by),
            }
        ),
        "tree": [{"problem": f.problem.value, "detail": f.detail} for f in report.tree],
    }


def print_report(report: VerificationReport) -> None:
    """``report`` in the terminal: one line when intact, else every finding and broken link."""
    if report.checkpoint is None:
        checked = "no checkpoint to check against"
    else:
        signed = (
            f"signed by {', '.join(report.checkpoint.signed_by)}"
            if report.checkpoint.signed_by
            else "signature not checked: no trusted key configured"
        )
        checked = f"checked against the checkpoint of size {report.checkpoint.size} ({signed})"
    if report.intact:
        console.print(
            f"[green]intact:[/] {report.events} events in {report.streams} streams, "
            f"every link checks; {escape(checked)}",
            soft_wrap=True,
        )
        return
    for finding in report.tree:
        console.print(
            f"[bold red]{finding.problem.value}:[/] {escape(finding.detail)}", soft_wrap=True
        )
    if not report.broken:
        console.print(
            f"[bold red]BROKEN:[/] {report.events} events in {report.streams} streams checked; "
            f"{escape(checked)}",
            soft_wrap=True,
        )
        return
    table = Table(title=f"{len(report.broken)} broken link(s)")
    for column in ("stream", "sequence", "position", "event_id", "problem", "detail"):
        table.add_column(column)
    for link in report.broken:
        table.add_row(
            *(
                escape(str(value))
                for value in (
                    link.stream_id,
                    link.sequence,
                    link.position,
                    link.event_id or "",
                    link.problem.value,
                    link.detail,
                )
            )
        )
    console.print(table)
    console.print(
        f"[bold red]BROKEN:[/] {report.events} events in {report.streams} streams checked"
    )
