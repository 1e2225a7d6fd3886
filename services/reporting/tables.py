"""The report as CSV: one file, one row per session the report lists.

One file rather than one per section, so that a spreadsheet opens it as it is: the
first six columns are the API's report CSV (``services.csv_tables.REPORT_COLUMNS``),
and two more give the failed rules and what an undecided session waits for, in words
(``rule id: sentence``, joined by `` | ``). The figures are in the PDF and the JSON; the
period and filter are in the file's name.
"""

from __future__ import annotations

from typing import Final

from services.csv_tables import REPORT_COLUMNS, csv_table
from services.reporting.document import ReportDocument, RuleNote

__all__ = ["DOCUMENT_COLUMNS", "render_csv"]

DOCUMENT_COLUMNS: Final = (*REPORT_COLUMNS, "failure_reasons", "waiting_for")


def render_csv(document: ReportDocument) -> str:
    return csv_table(
        DOCUMENT_COLUMNS,
        (
            (
                line.session_id,
                line.start,
                line.protocol if line.protocol != "unknown" else None,
                line.patient_id,
                line.status,
                ";".join(note.rule_id for note in line.failures),
                _words(line.failures),
                _words(line.waiting),
            )
            for line in document.listed
        ),
    )


def _words(notes: tuple[RuleNote, ...]) -> str:
    return " | ".join(f"{note.rule_id}: {note.detail}" for note in notes)
