"""The report as a PDF: WeasyPrint lays out the report's own HTML on paper."""

from __future__ import annotations

from services.reporting.document import ReportDocument
from services.reporting.html import Paper, render_html

__all__ = ["PdfUnavailableError", "render_pdf"]


class PdfUnavailableError(RuntimeError):
    """WeasyPrint could not load its system libraries. ``str()`` is one line: what
    failed, then ``hint``, how to install them."""

    hint = (
        "install Pango and a font, e.g. `apt-get install libpango-1.0-0 libpangoft2-1.0-0 "
        "fonts-dejavu-core`, or ask for HTML and print that"
    )

    def __init__(self, reason: str) -> None:
        self.message = (
            f"cannot make a PDF: WeasyPrint could not load its system libraries ({reason})"
        )
        super().__init__(f"{self.message}; {self.hint}")


def render_pdf(document: ReportDocument, *, paper: Paper = "letter") -> bytes:
    html = render_html(document, paper=paper)
    try:
        # Imported here: it loads Pango through ctypes at import time, and a server or
        # CLI without Pango must still start and answer everything but a PDF.
        import weasyprint
    except OSError as missing:
        reason = str(missing).splitlines()[0] if str(missing) else type(missing).__name__
        raise PdfUnavailableError(reason) from None
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
