"""CSV tables for spreadsheets: the report's sessions and the ledger's lines, cells safe
from spreadsheet formulas; the API's CSV answers and the export's reports both write them."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

from projections.ledger import Ledger
from services.judging import JudgedSession

__all__ = [
    "LEDGER_COLUMNS",
    "REPORT_COLUMNS",
    "SortedCsv",
    "cell_text",
    "csv_table",
    "ledger_csv",
    "report_csv",
]

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


def report_csv(sessions: Iterable[JudgedSession]) -> str:
    return csv_table(
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
    return csv_table(
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


def csv_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header and rows, CRLF line ends (RFC 4180), every cell through ``cell_text``."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([cell_text(value) for value in row] for row in rows)
    return buffer.getvalue()


class SortedCsv:
    """A CSV table whose rows arrive in any order and are written sorted.

    Each row is kept as its encoded line and its sort key, not as the row's objects: an
    export of a million events holds ~100k rows until the end, and a line is a fraction
    of the size of the tuple of datetimes and decimals it came from.
    """

    def __init__(self, *, columns: Sequence[str], key: Callable[[Sequence[object]], Any]) -> None:
        self._columns = columns
        self._key = key
        self._lines: list[tuple[Any, str]] = []
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\r\n")

    def __len__(self) -> int:
        return len(self._lines)

    def add(self, row: Sequence[object]) -> None:
        self._lines.append((self._key(row), self._encoded([cell_text(value) for value in row])))

    def write(self, out: TextIO) -> None:
        """The header, then every row in key order (ties in arrival order)."""
        out.write(self._encoded(list(self._columns)))
        self._lines.sort(key=lambda keyed: keyed[0])
        for _, line in self._lines:
            out.write(line)

    def _encoded(self, cells: list[str]) -> str:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._writer.writerow(cells)
        return self._buffer.getvalue()


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
