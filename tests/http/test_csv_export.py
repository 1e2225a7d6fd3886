"""Content negotiation and spreadsheet safety of the CSV answers (no server needed)."""

from __future__ import annotations

import pytest

from services.csv_tables import cell_text
from services.http.csv_export import wants_csv


@pytest.mark.parametrize(
    ("accept", "csv"),
    [
        ("text/csv", True),
        ("text/csv; charset=utf-8", True),
        ("application/json;q=0.2, text/csv", True),
        (None, False),
        ("*/*", False),
        ("application/json", False),
        ("application/json, text/csv", False),
        ("text/csv;q=0", False),
        ("text/csv;q=nonsense", False),
    ],
)
def test_csv_is_chosen_only_when_preferred_to_json(accept: str | None, csv: bool) -> None:
    assert wants_csv(accept) is csv


@pytest.mark.parametrize("dangerous", ["=HYPERLINK(1)", "+1", "-1+2", "@SUM(A1)", "\tx"])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted(dangerous: str) -> None:
    assert cell_text(dangerous) == "'" + dangerous


def test_ordinary_cells_are_left_alone() -> None:
    assert [
        cell_text("sess-demo-05"),
        cell_text(12.5),
        cell_text(100.0),
        cell_text(None),
        cell_text(True),
    ] == [
        "sess-demo-05",
        "12.5",
        "100",
        "",
        "true",
    ]
