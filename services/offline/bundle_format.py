"""The export bundle's names and encodings (``docs/EXPORT-FORMAT.md``), for writer and verifier."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

__all__ = [
    "ACCESS_FILE",
    "CHECKPOINT_FILE",
    "COMPLIANCE_CSV_FILE",
    "COMPLIANCE_HTML_FILE",
    "CONSISTENCY_FILE",
    "CONTROLLED_SUBSTANCES_FILE",
    "EVENTS_FILE",
    "FHIR_FILE",
    "FORMAT",
    "HEADS_FILE",
    "MANIFEST_FILE",
    "MANIFEST_SIGNATURE_FILE",
    "REMS_FILE",
    "TREE_FILE",
    "EntryLine",
    "encode_line",
    "manifest_note_text",
]

FORMAT: Final = "kapaudit-export/1"

MANIFEST_FILE: Final = "manifest.json"
MANIFEST_SIGNATURE_FILE: Final = "manifest.sig"
EVENTS_FILE: Final = "data/events.jsonl"
ACCESS_FILE: Final = "data/access.jsonl"
FHIR_FILE: Final = "data/fhir/bundle.json"
COMPLIANCE_CSV_FILE: Final = "data/reports/compliance-report.csv"
COMPLIANCE_HTML_FILE: Final = "data/reports/compliance-report.html"
REMS_FILE: Final = "data/reports/rems-monitoring-forms.csv"
CONTROLLED_SUBSTANCES_FILE: Final = "data/reports/controlled-substances.csv"
CHECKPOINT_FILE: Final = "data/proofs/checkpoint.txt"
TREE_FILE: Final = "data/proofs/tree.jsonl"
HEADS_FILE: Final = "data/proofs/heads.jsonl"
CONSISTENCY_FILE: Final = "data/proofs/consistency.jsonl"


@dataclass(frozen=True, slots=True, kw_only=True)
class EntryLine:
    """One line of ``events.jsonl`` or ``access.jsonl``: a log entry and its record bytes."""

    index: int
    stream_id: str
    sequence: int
    event_id: str
    event_type: str
    occurred_at: str
    recorded_at: str
    prev_hash: str
    hash: str
    record: str
    """The canonical record that was hashed; ``record.encode("utf-8")`` is the exact bytes."""

    def to_json(self) -> str:
        return encode_line(
            {
                "index": self.index,
                "stream_id": self.stream_id,
                "sequence": self.sequence,
                "event_id": self.event_id,
                "event_type": self.event_type,
                "occurred_at": self.occurred_at,
                "recorded_at": self.recorded_at,
                "prev_hash": self.prev_hash,
                "hash": self.hash,
                "record": self.record,
            }
        )


def encode_line(value: dict[str, Any]) -> str:
    """One JSON Lines line: keys sorted, no spaces, UTF-8 kept, ending in a newline."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def manifest_note_text(manifest: bytes) -> str:
    """The note text that ``manifest.sig`` signs: the format and the manifest's SHA-256."""
    return f"{FORMAT} manifest\n{hashlib.sha256(manifest).hexdigest()}\n"
