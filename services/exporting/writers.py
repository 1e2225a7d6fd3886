"""The FHIR and report writers every bundle is made with: the one place they are chosen."""

from __future__ import annotations

from pathlib import Path

from services.exporting.documents import ExportScope, FhirDocument, ReportDocuments
from services.exporting.fhir_bundle import FhirBundleWriter
from services.exporting.ports import FhirDocumentFactory, ReportDocumentsFactory
from services.exporting.report_documents import ClinicReportDocuments

__all__ = ["document_writers"]


def document_writers() -> tuple[FhirDocumentFactory, ReportDocumentsFactory]:
    """The factories of ``data/fhir/bundle.json`` and ``data/reports/``; the reports judge
    sessions with the scope's profile versions, as the API's reports do."""

    def fhir(*, root: Path, scope: ExportScope) -> FhirDocument:
        return FhirBundleWriter(bag=root, scope=scope)

    def reports(*, root: Path, scope: ExportScope) -> ReportDocuments:
        return ClinicReportDocuments(bag=root, scope=scope)

    return fhir, reports
