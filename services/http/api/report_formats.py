"""Which rendering of the compliance report a request asks for: ``format=`` or Accept."""

from __future__ import annotations

import re
from typing import Annotated, Final, Literal

from fastapi import Query, Response

from services.http.csv_export import PERIOD_HEADER, accept_weights
from services.period import Period
from services.reporting import ReportDocument, render_html, render_pdf, style_hash

__all__ = ["MEDIA_TYPES", "FormatQuery", "ReportFormat", "chosen_format", "printable_response"]

ReportFormat = Literal["json", "csv", "html", "pdf"]

MEDIA_TYPES: Final[dict[ReportFormat, str]] = {
    "json": "application/json",
    "csv": "text/csv",
    "html": "text/html",
    "pdf": "application/pdf",
}

FormatQuery = Annotated[
    ReportFormat | None,
    Query(
        alias="format",
        description="json, csv, html or pdf; wins over the Accept header (a browser's link "
        "cannot set one).",
    ),
]


def chosen_format(asked: ReportFormat | None, accept: str | None) -> ReportFormat:
    """``format=`` when given, else the Accept header's most wanted of the four (JSON on
    a tie or when none is named, as before)."""
    if asked is not None:
        return asked
    weights = accept_weights(accept)
    best: ReportFormat = "json"
    for form, media in MEDIA_TYPES.items():
        if weights.get(media, 0.0) > weights.get(MEDIA_TYPES[best], 0.0):
            best = form
    return best


def printable_response(document: ReportDocument, form: ReportFormat, *, period: Period) -> Response:
    """The report as an HTML page or a PDF download, with the period in a header."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", document.file_name(form))
    headers = {PERIOD_HEADER: period.describe()}
    if form == "pdf":
        headers["Content-Disposition"] = f'attachment; filename="{safe}"'
        return Response(render_pdf(document), media_type=MEDIA_TYPES["pdf"], headers=headers)
    html = render_html(document)
    headers["Content-Disposition"] = f'inline; filename="{safe}"'
    # The page names patients: it may show its own style and nothing else, anywhere.
    headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {style_hash(html)}; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'none'"
    )
    return Response(html, media_type=f"{MEDIA_TYPES['html']}; charset=utf-8", headers=headers)
