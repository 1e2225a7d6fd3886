"""Stand-ins for the FHIR and report writers: small files that show what they were fed."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from projections.recorded import Recorded
from services.exporting.documents import DocumentCounts, ExportScope
from services.offline.bundle_format import (
    COMPLIANCE_CSV_FILE,
    COMPLIANCE_HTML_FILE,
    CONTROLLED_SUBSTANCES_FILE,
    FHIR_FILE,
    REMS_FILE,
    EntryLine,
)


class EventIdsFhirDocument:
    """``bundle.json`` as a JSON list of the event ids it was given, in order."""

    def __init__(self, *, root: Path, scope: ExportScope) -> None:
        path = root / FHIR_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8")
        self._file.write(json.dumps({"export_id": scope.export_id, "entries": []})[:-2])
        self._count = 0

    def add(self, line: EntryLine, event: Mapping[str, Any]) -> None:
        assert event["event_id"] == line.event_id
        self._file.write(("," if self._count else "") + json.dumps(line.event_id))
        self._count += 1

    def close(self) -> DocumentCounts:
        self._file.write("]}")
        self._file.close()
        return DocumentCounts(counts={"fhir_audit_events": self._count})


class StreamListReports:
    """The compliance CSV lists each stream and its entry count; the others are empty."""

    def __init__(self, *, root: Path, scope: ExportScope) -> None:
        self._root = root
        self._lines: list[str] = []

    def add_stream(self, stream_id: str, entries: Sequence[Recorded]) -> None:
        assert [e.position for e in entries] == sorted(e.position for e in entries)
        self._lines.append(f"{stream_id},{len(entries)}\n")

    def close(self) -> DocumentCounts:
        for name in (
            COMPLIANCE_CSV_FILE,
            COMPLIANCE_HTML_FILE,
            REMS_FILE,
            CONTROLLED_SUBSTANCES_FILE,
        ):
            (self._root / name).parent.mkdir(parents=True, exist_ok=True)
            (self._root / name).write_text("")
        (self._root / COMPLIANCE_CSV_FILE).write_text("".join(self._lines))
        return DocumentCounts(counts={"report_streams": len(self._lines)})
