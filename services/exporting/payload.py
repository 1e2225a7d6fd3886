"""Writing a bundle's ``data/``: the entry files, the documents and the proofs.

Two passes over the log, both streamed: in log order for ``events.jsonl``,
``access.jsonl`` and the FHIR bundle, then in stream order for the reports. The
exported leaf indices go to a scratch file on the way, so that ``tree.jsonl`` can be
planned from them afterwards without holding them in memory.
"""

from __future__ import annotations

import json
import logging
from array import array
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from events import EventRejected, read_stored_event
from projections.recorded import Recorded
from services.chain import format_recorded_at
from services.chain.tree_cover import CoverGap, CoverLeaf, plan_cover
from services.exporting.documents import ExportScope
from services.exporting.ports import (
    ExportRow,
    ExportSelection,
    ExportSource,
    FhirDocumentFactory,
    ReportDocumentsFactory,
)
from services.offline.bundle_format import (
    ACCESS_FILE,
    CHECKPOINT_FILE,
    CONSISTENCY_FILE,
    EVENTS_FILE,
    HEADS_FILE,
    TREE_FILE,
    EntryLine,
    encode_line,
)

__all__ = ["Progress", "WrittenPayload", "write_payload"]

_log = logging.getLogger("kapaudit.exports")

Progress = Callable[[int], Awaitable[None]]
"""Told how many units of work are done (entries of both passes)."""

_BUFFER = 1 << 20
# Gaps whose hashes are fetched in one round trip; leaves written between them wait.
_GAP_BATCH = 256
_TREE_ITEMS = 8192
_INDEX_CHUNK = 65536
_ACCESS_TYPE = "access.recorded"


@dataclass(frozen=True, slots=True, kw_only=True)
class WrittenPayload:
    events: int
    access: int
    streams: int
    """Lines of ``heads.jsonl``: clinical and access streams."""
    document_counts: dict[str, int]


def _entry_line(row: ExportRow, event: Mapping[str, Any]) -> EntryLine:
    # The record as record_bytes builds it (the bytes that were hashed), decoded: the
    # stored event JSON is canonical, so concatenation is exact.
    recorded_at = format_recorded_at(row.recorded_at)  # once: strftime is dear per row
    record = (
        '{"event":'
        + row.event_json
        + ',"recorded_at":"'
        + recorded_at
        + '","sequence":'
        + str(row.sequence)
        + ',"stream_id":'
        + json.dumps(row.stream_id, ensure_ascii=False)
        + "}"
    )
    return EntryLine(
        index=row.index,
        stream_id=row.stream_id,
        sequence=row.sequence,
        event_id=row.event_id,
        event_type=row.event_type,
        occurred_at=str(event["occurred_at"]),
        recorded_at=recorded_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
        record=record,
    )


def _open(root: Path, name: str) -> BinaryIO:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    return path.open("wb", buffering=_BUFFER)


async def write_payload(
    *,
    source: ExportSource,
    selection: ExportSelection,
    root: Path,
    scratch: Path,
    scope: ExportScope,
    checkpoint_note: str,
    consistency_from: list[tuple[int, bytes]],
    fhir: FhirDocumentFactory,
    reports: ReportDocumentsFactory,
    progress: Progress,
) -> WrittenPayload:
    """Write every ``data/`` file of the bundle under ``root``; ``scratch`` is a file
    outside the bag for the leaf indices. ``consistency_from`` holds ``(size, root)``
    of the earlier trees to prove this checkpoint consistent with."""
    done = 0
    events = access = 0
    fhir_document = fhir(root=root, scope=scope)
    with (
        _open(root, EVENTS_FILE) as events_file,
        _open(root, ACCESS_FILE) as access_file,
        scratch.open("wb") as index_file,
    ):
        indices = array("q")
        async for row in source.entries_in_log_order(selection):
            event = json.loads(row.event_json)
            line = _entry_line(row, event)
            encoded = line.to_json().encode("utf-8")
            if row.event_type == _ACCESS_TYPE:
                access_file.write(encoded)
                access += 1
            else:
                events_file.write(encoded)
                fhir_document.add(line, event)
                events += 1
            indices.append(row.index)
            if len(indices) >= _INDEX_CHUNK:
                indices.tofile(index_file)
                del indices[:]
            done += 1
            if not done % 1000:
                await progress(done)
        indices.tofile(index_file)
    await progress(done)
    counts = dict(fhir_document.close().counts)

    report_documents = reports(root=root, scope=scope)
    async for stream_id, rows in source.clinical_streams(selection):
        report_documents.add_stream(stream_id, _recorded(rows))
        done += len(rows)
        await progress(done)
    for name, value in report_documents.close().counts.items():
        counts[name] = counts.get(name, 0) + value

    proofs = root / CHECKPOINT_FILE
    proofs.parent.mkdir(parents=True, exist_ok=True)
    proofs.write_text(checkpoint_note, encoding="utf-8")
    await _write_tree(source, selection.size, _read_indices(scratch), root)
    streams = 0
    with _open(root, HEADS_FILE) as heads_file:
        async for head in source.heads(selection):
            heads_file.write(
                encode_line(
                    {"hash": head.hash, "sequence": head.sequence, "stream_id": head.stream_id}
                ).encode("utf-8")
            )
            streams += 1
    with _open(root, CONSISTENCY_FILE) as consistency_file:
        for size, from_root in consistency_from:
            hashes = await source.consistency_proof(size, selection.size)
            consistency_file.write(
                encode_line(
                    {
                        "from_root": from_root.hex(),
                        "from_size": size,
                        "hashes": [h.hex() for h in hashes],
                    }
                ).encode("utf-8")
            )
    return WrittenPayload(events=events, access=access, streams=streams, document_counts=counts)


def _recorded(rows: Sequence[ExportRow]) -> list[Recorded]:
    recorded = []
    for row in rows:
        try:
            event = read_stored_event(row.event_json)
        except EventRejected:
            # Stored under an older, looser contract: it stays in events.jsonl and the
            # FHIR bundle, but the reports' folds cannot take it (as the projector skips it).
            _log.warning("event %s left out of the reports: no longer valid", row.event_id)
            continue
        recorded.append(Recorded(event=event, position=row.position, recorded_at=row.recorded_at))
    return recorded


def _read_indices(scratch: Path) -> Iterator[int]:
    with scratch.open("rb") as file:
        while chunk := file.read(8 * _INDEX_CHUNK):
            yield from array("q", chunk)


async def _write_tree(source: ExportSource, size: int, indices: Iterator[int], root: Path) -> None:
    """``tree.jsonl``: the cover planned from the indices; gap hashes fetched in batches."""
    pending: list[CoverLeaf | CoverGap] = []
    gaps: list[tuple[int, int]] = []
    with _open(root, TREE_FILE) as tree_file:

        async def flush() -> None:
            hashes = iter(await source.subtree_hashes(gaps) if gaps else [])
            lines = []
            for item in pending:
                if isinstance(item, CoverLeaf):
                    lines.append(encode_line({"leaf": item.index}))
                else:
                    digest = next(hashes)
                    lines.append(
                        encode_line({"from": item.start, "hash": digest.hex(), "to": item.end})
                    )
            tree_file.write("".join(lines).encode("utf-8"))
            pending.clear()
            gaps.clear()

        for item in plan_cover(size, indices):
            pending.append(item)
            if isinstance(item, CoverGap):
                gaps.append((item.start, item.end))
            if len(gaps) >= _GAP_BATCH or len(pending) >= _TREE_ITEMS:
                await flush()
        await flush()
