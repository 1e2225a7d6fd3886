"""The report document rendered: a page that prints well, a real PDF, one CSV."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pypdfium2

from services.reporting import DOCUMENT_COLUMNS, render_csv, render_html, render_pdf
from tests.unit.reporting.samples import GAP_DETAIL, NOTE_DETAIL, document

XHTML = "{http://www.w3.org/1999/xhtml}"


def test_the_page_is_well_formed_self_contained_and_shows_the_reasons() -> None:
    html = render_html(document())
    root = ET.fromstring(html)
    text = " ".join(root.itertext())

    assert GAP_DETAIL in text
    assert NOTE_DETAIL in text
    assert not any(e.get("src") or e.get("href") for e in root.iter()), "no external assets"
    assert root.find(f".//{XHTML}script") is None


def test_ids_sit_in_cells_that_never_break_them() -> None:
    root = ET.fromstring(render_html(document()))

    row = root.find(f".//{XHTML}tr[@data-session='sess-02']")
    assert row is not None
    cells = row.findall(f"{XHTML}td")
    assert "id" in (cells[0].get("class") or "").split()
    assert "id" in (cells[3].get("class") or "").split()
    assert ".id, td.id, .nowrap { white-space: nowrap" in render_html(document())


def test_every_printed_page_carries_the_period_judging_instant_and_page_number() -> None:
    html = render_html(document(), paper="A4")

    assert "@page { size: A4 portrait; @top-left { content: " in html
    assert "Period 2026-11-01 to 2026-11-30" in html.split("@top-left", 1)[1].split(";", 1)[0]
    assert 'counter(page) " of " counter(pages)' in html
    assert "thead { display: table-header-group; }" in html


def test_a_clinic_id_cannot_end_the_running_headers_css_string() -> None:
    doc = document()
    hostile = type(doc)(
        **{**{f: getattr(doc, f) for f in doc.__dataclass_fields__}, "clinic_id": 'c"}</style><b>'}
    )

    html = render_html(hostile)
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert "</style" not in style.lower()
    assert '"}' not in style.split("@top-left", 1)[1][:200]


def test_the_pdf_is_a_pdf_of_portrait_pages() -> None:
    pdf = render_pdf(document())

    assert pdf.startswith(b"%PDF-")
    pages = pypdfium2.PdfDocument(pdf)
    assert len(pages) >= 1
    width, height = pages[0].get_size()
    assert (round(width), round(height)) == (612, 792), "US Letter, portrait, in points"
    assert "sess-02" in pages[0].get_textpage().get_text_range() + "".join(
        pages[i].get_textpage().get_text_range() for i in range(1, len(pages))
    )


def test_the_csv_has_a_row_per_listed_session_with_reasons_in_words() -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(document()))))

    assert tuple(rows[0]) == DOCUMENT_COLUMNS
    by_id = {row["session_id"]: row for row in rows}
    assert set(by_id) == {"sess-01", "sess-02", "sess-03", "sess-04"}
    assert by_id["sess-02"]["failure_reasons"] == f"vitals.monitoring_interval: {GAP_DETAIL}"
    assert by_id["sess-03"]["waiting_for"] == f"integration.note_within_window: {NOTE_DETAIL}"
    assert by_id["sess-01"]["failure_reasons"] == ""
