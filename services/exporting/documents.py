"""A bundle's readable documents: the FHIR bundle and the reports, written as entries pass.

The exporter reads the log twice and hands every entry to these writers:

- in **log order** (the order of ``events.jsonl``), every clinical entry goes to
  ``FhirDocument.add``; memory stays flat, one entry at a time;
- in **stream order**, each exported clinical stream arrives whole (sequence 1 to its
  head) at ``ReportDocuments.add_stream``, so that a session is folded from all of its
  events and then forgotten, except for its report rows.

Both write under the bag's ``data/`` directory (paths in
``services.offline.bundle_format``) and report what they wrote.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from projections.profiles import ProfileHistory
from projections.recorded import Recorded
from services.offline.bundle_format import EntryLine
from services.period import Period

__all__ = ["DocumentCounts", "ExportScope", "FhirDocument", "ReportDocuments"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportScope:
    """What an export covers: one clinic, a period, and optionally one patient."""

    export_id: str
    clinic_id: str
    period: Period
    patient_id: str | None
    created_at: datetime
    """When the export was made (UTC): the documents' own date."""
    profiles: ProfileHistory = field(default_factory=ProfileHistory)
    """The clinic's profile versions; the reports judge with the one in force at
    ``created_at``, as the API does as of that instant."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DocumentCounts:
    """How many resources or rows each document holds, for the manifest's counts."""

    counts: Mapping[str, int]


class FhirDocument(Protocol):
    """``data/fhir/bundle.json``, written one entry at a time."""

    def add(self, line: EntryLine, event: Mapping[str, Any]) -> None:
        """One clinical log entry; ``event`` is its canonical event JSON, decoded."""

    def close(self) -> DocumentCounts:
        """Finish the file (closing brackets) and say what it holds."""


class ReportDocuments(Protocol):
    """``data/reports/``: the compliance report (CSV, HTML), REMS forms and the
    controlled-substance log, built from whole streams."""

    def add_stream(self, stream_id: str, entries: Sequence[Recorded]) -> None:
        """Every entry of one exported clinical stream, in sequence order. Streams come
        grouped by patient, the patient's own stream (``C/patient/P``) before their
        sessions, so a patient's history can be forgotten when the next patient begins."""

    def close(self) -> DocumentCounts:
        """Write the four report files and say what they hold."""
