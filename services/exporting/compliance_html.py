"""``data/reports/compliance-report.html``: the compliance report, printable and offline.

The monthly report's own page (``services.reporting``), so that a bundle's report and
the one the dashboard, the API and the CLI print are the same document: self-contained
(styles inline, no scripts, fonts or images from elsewhere), so a regulator can open or
print it years later with nothing but a browser, and XHTML-compatible, so XML tools can
read it too. The export adds who and what it covers under the title.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from projections.reports import ClinicReport
from services.exporting.documents import ExportScope
from services.judging import JudgedSession
from services.reporting import ProfileApplied, build_report_document, render_html

__all__ = ["compliance_report_html"]


def compliance_report_html(
    *,
    scope: ExportScope,
    report: ClinicReport,
    sessions: Sequence[JudgedSession],
    counts: Mapping[str, int],
    thresholds: Sequence[ProfileApplied] = (),
) -> str:
    """The page: who and when, the figures, every failing and undecided session."""
    documents = ", ".join(f"{name} {count}" for name, count in counts.items())
    document = build_report_document(
        report=report,
        sessions=sessions,
        # The bundle's controlled-substance log is its own file, line by line.
        ledger=None,
        thresholds=thresholds,
        period=scope.period,
        notes=(
            ("Patient", scope.patient_id or "all patients"),
            ("Export", scope.export_id),
            ("Documents", documents),
        ),
    )
    return render_html(document)
