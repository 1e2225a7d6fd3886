"""A small exported log for the document writers: demo events, chained as the log chains them.

The exporter hands the writers ``EntryLine``s with their decoded events (FHIR) and whole
streams of ``Recorded`` (reports); this builds both from event documents, so tests see
what an export of those events would pass.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from events import PATIENT_LEVEL_EVENT_TYPES, canonical_json, parse_event
from projections import Recorded
from services.chain.links import GENESIS_HASH, chain_hash, format_recorded_at, record_bytes
from services.demo import DEFAULT_DAY
from services.exporting.documents import ExportScope
from services.offline.bundle_format import EntryLine
from services.period import Period

RECORDING_DELAY = timedelta(minutes=1)
"""How long after each event the log records it in these tests."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportedEntry:
    line: EntryLine
    event: dict[str, Any]
    """The canonical event JSON, decoded, as the FHIR writer receives it."""
    recorded: Recorded


def stream_of(document: Mapping[str, Any]) -> str:
    clinic = document["clinic_id"]
    if document["event_type"] in PATIENT_LEVEL_EVENT_TYPES or document.get("session_id") is None:
        return f"{clinic}/patient/{document['patient_id']}"
    return f"{clinic}/session/{document['session_id']}"


def exported_log(documents: Iterable[Mapping[str, Any]]) -> list[ExportedEntry]:
    """Every document as a log entry, in log order (recorded a minute after it occurred)."""
    parsed = [parse_event(json.dumps(document).encode("utf-8")) for document in documents]
    parsed.sort(key=lambda event: event.occurred_at)
    heads: dict[str, tuple[int, str]] = defaultdict(lambda: (0, GENESIS_HASH))
    entries = []
    for index, event in enumerate(parsed):
        event_json = canonical_json(event).decode("utf-8")
        decoded = json.loads(event_json)
        stream_id = stream_of(decoded)
        sequence, prev_hash = heads[stream_id]
        sequence += 1
        recorded_at: datetime = event.occurred_at + RECORDING_DELAY
        record = record_bytes(
            event_json=event_json, stream_id=stream_id, sequence=sequence, recorded_at=recorded_at
        )
        entry_hash = chain_hash(prev_hash=prev_hash, record=record)
        heads[stream_id] = (sequence, entry_hash)
        line = EntryLine(
            index=index,
            stream_id=stream_id,
            sequence=sequence,
            event_id=str(event.event_id),
            event_type=event.event_type,
            occurred_at=decoded["occurred_at"],
            recorded_at=format_recorded_at(recorded_at),
            prev_hash=prev_hash,
            hash=entry_hash,
            record=record.decode("utf-8"),
        )
        recorded = Recorded(event=event, position=index + 1, recorded_at=recorded_at)
        entries.append(ExportedEntry(line=line, event=decoded, recorded=recorded))
    return entries


def streams(entries: Iterable[ExportedEntry]) -> dict[str, list[Recorded]]:
    """Each stream's entries in sequence order, grouped by patient (the order the exporter
    passes them in: each patient's own stream, then their sessions, by stream id)."""
    by_stream: dict[str, list[Recorded]] = defaultdict(list)
    patient_of: dict[str, str] = {}
    for entry in sorted(entries, key=lambda e: (e.line.stream_id, e.line.sequence)):
        by_stream[entry.line.stream_id].append(entry.recorded)
        patient_of[entry.line.stream_id] = entry.recorded.event.patient_id
    return dict(sorted(by_stream.items(), key=lambda item: (patient_of[item[0]], item[0])))


DEMO_ZONE = ZoneInfo("America/Denver")


def demo_scope(*, first: date = DEFAULT_DAY, last: date = DEFAULT_DAY) -> ExportScope:
    """An export of the demo clinic for whole days, made once every follow-up was recorded."""
    return ExportScope(
        export_id="exp-test-0001",
        clinic_id="clinic-demo",
        period=Period.of_days(first, last, zone=DEMO_ZONE),
        patient_id=None,
        created_at=datetime.combine(last + timedelta(days=30), time(), tzinfo=UTC),
    )
