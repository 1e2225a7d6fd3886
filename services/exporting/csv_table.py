"""CSV text for the export's reports, cell by cell as the API's CSV answers write it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from services.http.api.csv_export import cell_text

__all__ = ["csv_table"]


def csv_table(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A header and rows, CRLF line ends (RFC 4180), cells safe from spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([cell_text(value) for value in row] for row in rows)
    return buffer.getvalue()
