"""The monthly report as a deliverable (issue 9): one document, three renderings.

``build_report_document`` gathers, purely, what the report holds (the rate and counts
with pending sessions explained, weeks and protocols, every failing session with its
failed rules in words, the controlled-substance totals, the thresholds applied, the
period's instants and the judging instant); ``render_html``, ``render_pdf`` and
``render_csv`` print it. ``load_report_document`` reads it through ``HistoryQueries``
for the CLI, the API and the dashboard, which each record the read of the patients it
names (``ReportDocument.named_patients``) through ``services.reading``.
"""

from services.reporting.document import ReportDocument, ReportFilter, build_report_document
from services.reporting.html import Paper, render_html, style_hash
from services.reporting.loading import load_report_document
from services.reporting.pdf import PdfUnavailableError, render_pdf
from services.reporting.tables import DOCUMENT_COLUMNS, render_csv
from services.reporting.thresholds import ProfileApplied, SettingApplied, thresholds_applied

__all__ = [
    "DOCUMENT_COLUMNS",
    "Paper",
    "PdfUnavailableError",
    "ProfileApplied",
    "ReportDocument",
    "ReportFilter",
    "SettingApplied",
    "build_report_document",
    "load_report_document",
    "render_csv",
    "render_html",
    "render_pdf",
    "style_hash",
    "thresholds_applied",
]
