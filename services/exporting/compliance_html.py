"""``data/reports/compliance-report.html``: the compliance report, printable and offline.

One self-contained page (styles inline, no scripts, fonts or images from elsewhere), so that
a regulator can open or print it years later with nothing but a browser. It is written as
XHTML-compatible HTML5 (every element closed), so XML tools can read it too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from html import escape
from typing import Final
from zoneinfo import ZoneInfo

from projections.reports import ClinicReport
from services.exporting.documents import ExportScope
from services.judging import JudgedSession

__all__ = ["compliance_report_html"]

_STYLE: Final = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.25em 0.5em; text-align: left; vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; }
.non_compliant { color: #a00; font-weight: bold; }
.meta td:first-child { font-weight: bold; width: 14em; }
@media print { body { margin: 0; } tr { page-break-inside: avoid; } }
"""


def compliance_report_html(
    *,
    scope: ExportScope,
    report: ClinicReport,
    sessions: Sequence[JudgedSession],
    counts: Mapping[str, int],
) -> str:
    """The page: who and when, the counts, then every session of the period with its verdict."""
    period = scope.period
    zone = period.zone
    title = f"Compliance report: {scope.clinic_id}, {period.first} to {period.last}"
    rate = (
        "no decided sessions"
        if report.compliance_rate is None
        else f"{report.compliance_rate:.1%} of decided sessions compliant"
    )
    meta = [
        ("Clinic", scope.clinic_id),
        ("Period", period.describe()),
        ("Patient", scope.patient_id or "all patients"),
        ("Judged as of", _local(report.as_of, zone)),
        ("Export", scope.export_id),
        ("Compliance", rate),
    ]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en" xmlns="http://www.w3.org/1999/xhtml">',
        '<head><meta charset="utf-8"/>',
        f"<title>{escape(title)}</title>",
        f"<style>{_STYLE}</style></head>",
        "<body>",
        f"<h1>{escape(title)}</h1>",
        _table(("", ""), meta, css="meta", header=False),
        "<h2>Sessions by status</h2>",
        _table(("status", "sessions"), report.by_status.items()),
        "<h2>Sessions by protocol</h2>",
        _table(
            ("protocol", *report.by_status),
            ((protocol, *row.values()) for protocol, row in report.by_protocol.items()),
        ),
        "<h2>Failed rules</h2>",
        _table(("rule", "sessions"), report.failures_by_rule.items())
        if report.failures_by_rule
        else "<p>No rule failed.</p>",
        "<h2>Documents in this export</h2>",
        _table(("document", "rows"), counts.items()),
        f"<h2>Sessions ({len(sessions)})</h2>",
        _sessions_table(sessions, zone=zone)
        if sessions
        else "<p>No session started in the period.</p>",
        "</body>",
        "</html>",
        "",
    ]
    return "\n".join(parts)


def _sessions_table(sessions: Sequence[JudgedSession], *, zone: ZoneInfo) -> str:
    head = ("start", "session", "protocol", "patient", "status", "failed rules")
    rows = []
    for item in sessions:
        verdict = item.verdict
        failed = "".join(
            f"<div><b>{escape(result.rule_id)}</b>: {escape(result.detail)}</div>"
            for result in verdict.failed_rules
        )
        rows.append(
            "<tr>"
            f"<td>{escape(_local(item.session_start, zone)) if item.session_start else ''}</td>"
            f"<td>{escape(verdict.session_id)}</td>"
            f"<td>{escape(verdict.protocol.value if verdict.protocol else 'unknown')}</td>"
            f"<td>{escape(verdict.patient_id)}</td>"
            f'<td class="{escape(verdict.status.value)}">{escape(verdict.status.value)}</td>'
            f"<td>{failed}</td>"
            "</tr>"
        )
    header = "".join(f"<th>{escape(name)}</th>" for name in head)
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _table(
    head: Sequence[str], rows: Iterable[Sequence[object]], *, css: str = "", header: bool = True
) -> str:
    body = "".join("<tr>" + "".join(_cell(value) for value in row) + "</tr>" for row in rows)
    top = (
        "<thead><tr>" + "".join(f"<th>{escape(name)}</th>" for name in head) + "</tr></thead>"
        if header
        else ""
    )
    attribute = f' class="{css}"' if css else ""
    return f"<table{attribute}>{top}<tbody>{body}</tbody></table>"


def _cell(value: object) -> str:
    if isinstance(value, int):
        return f'<td class="num">{value}</td>'
    return f"<td>{escape(str(value))}</td>"


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
