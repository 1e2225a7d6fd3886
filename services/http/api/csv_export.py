"""CSV answers for spreadsheets: the report's sessions and the ledger's lines."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import datetime

from fastapi import Response

from projections.ledger import Ledger
from services.http.api.judging import JudgedSession
from services.period import Period

__all__ = [
    "CSV_MEDIA_TYPE",
    "LEDGER_COLUMNS",
    "PERIOD_HEADER",
    "REPORT_COLUMNS",
    "cell_text",
    "csv_response",
    "ledger_csv",
    "report_csv",
    "wants_csv",
]

CSV_MEDIA_TYPE = "text/csv"

PERIOD_HEADER = "Kapaudit-Period"
"""The exact period of a CSV answer: the CSV itself holds only its columns, so that
spreadsheets read it as they are."""

REPORT_COLUMNS = ("session_id", "session_start", "protocol", "patient_id", "status", "failed_rules")
LEDGER_COLUMNS = (
    "occurred_at",
    "kind",
    "medication",
    "amount_mg",
    "lot_number",
    "route",
    "actor_id",
    "witness_id",
    "session_id",
    "patient_id",
    "unwitnessed",
)

# A cell starting with one of these is run as a formula by spreadsheet programs; clinic
# systems choose identifiers freely, so such cells are prefixed with a quote (OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def wants_csv(accept: str | None) -> bool:
    """Whether the Accept header prefers text/csv to application/json (JSON by default)."""
    weights: dict[str, float] = {}
    for part in (accept or "").split(","):
        media, *parameters = (piece.strip().lower() for piece in part.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[media] = max(weights.get(media, 0.0), weight)
    csv_weight = weights.get(CSV_MEDIA_TYPE, 0.0)
    return csv_weight > 0 and csv_weight > weights.get("application/json", 0.0)


def report_csv(sessions: Iterable[JudgedSession]) -> str:
    return _table(
        REPORT_COLUMNS,
        (
            (
                item.verdict.session_id,
                item.session_start,
                item.verdict.protocol.value if item.verdict.protocol else None,
                item.verdict.patient_id,
                item.verdict.status.value,
                ";".join(result.rule_id for result in item.verdict.failed_rules),
            )
            for item in sessions
        ),
    )


def ledger_csv(ledger: Ledger) -> str:
    return _table(
        LEDGER_COLUMNS,
        (
            (
                line.occurred_at,
                line.kind,
                line.medication,
                line.amount_mg,
                line.lot_number,
                line.route,
                line.actor_id,
                line.witness_id,
                line.session_id,
                line.patient_id,
                line.unwitnessed,
            )
            for line in ledger.lines
        ),
    )


def csv_response(text: str, *, filename: str, period: Period) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    return Response(
        content=text,
        media_type=f"{CSV_MEDIA_TYPE}; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{safe}"',
            PERIOD_HEADER: period.describe(),
        },
    )


def _table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([cell_text(value) for value in row] for row in rows)
    return buffer.getvalue()


def cell_text(value: object) -> str:
    """A value as a CSV cell that no spreadsheet program would run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return format(value, "g")
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
