"""The FHIR and report writers every bundle is made with: the one place they are chosen.

They are being written apart (``services/exporting/fhir_bundle.py`` and the report
writers); until they are wired in here, an export stops before it discloses anything.
"""

from __future__ import annotations

from services.exporting.ports import FhirDocumentFactory, ReportDocumentsFactory

__all__ = ["WritersMissingError", "document_writers"]


class WritersMissingError(RuntimeError):
    """This build has no FHIR or report writers to make bundles with."""


def document_writers() -> tuple[FhirDocumentFactory, ReportDocumentsFactory]:
    """The factories of ``data/fhir/bundle.json`` and ``data/reports/``."""
    raise WritersMissingError("the FHIR and report writers of export bundles are not wired in")
