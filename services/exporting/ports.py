"""What the export pipeline needs from the outside world, as small ports.

The SQL adapter (``services.adapters.sql.export_source``) reads the log and its tree;
``services.adapters.sql.export_ledger`` keeps the ``exports`` table; access auditing
goes through ``Disclosures``. Everything here is data and Protocols, no I/O.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from events import AccessChannel, AccessRole
from services.chain.compact_range import CompactRange
from services.exporting.documents import ExportScope, FhirDocument, ReportDocuments

__all__ = [
    "CheckpointSource",
    "Disclosures",
    "ExportLedger",
    "ExportRecord",
    "ExportRow",
    "ExportSelection",
    "ExportSource",
    "ExportStatus",
    "FhirDocumentFactory",
    "PinnableCheckpoint",
    "ReportDocumentsFactory",
    "Requester",
    "SelectionCounts",
    "StreamHead",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Requester:
    """Who asked for an export, as the access log names them."""

    name: str
    """The API token's name, or ``cli:<os user>`` for the command line."""
    role: AccessRole
    channel: AccessChannel


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportSelection:
    """The entries an export holds: the clinic's streams touched in the period (and by
    the patient), whole, and their patients' access streams, all below ``size``."""

    clinic_id: str
    start: datetime
    end: datetime
    patient_id: str | None
    size: int
    """The pinned checkpoint's tree size: only leaves below it are exported."""
    last_position: int
    """``event_log.position`` of leaf ``size - 1`` (0 for an empty tree)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectionCounts:
    clinical_entries: int
    access_entries: int
    clinical_streams: int
    access_streams: int
    sessions: int
    patients: tuple[str, ...]
    """Every patient with an entry in ``events.jsonl``, sorted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRow:
    """One exported log entry, with its leaf index."""

    index: int
    stream_id: str
    sequence: int
    event_id: str
    event_type: str
    event_json: str
    recorded_at: datetime
    prev_hash: str
    hash: str
    position: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamHead:
    stream_id: str
    sequence: int
    hash: str


class ExportSource(Protocol):
    """The log, its Merkle tree and checkpoints, as an export reads them."""

    async def clinic_known(self, clinic_id: str) -> bool:
        """Whether the log holds any entry of the clinic."""

    async def select(
        self,
        *,
        clinic_id: str,
        start: datetime,
        end: datetime,
        patient_id: str | None,
        size: int,
    ) -> tuple[ExportSelection, SelectionCounts]:
        """Pin the selection to the tree of ``size`` leaves and count what it holds."""

    def entries_in_log_order(self, selection: ExportSelection) -> AsyncIterator[ExportRow]:
        """Clinical and access entries together, ascending leaf index, streamed."""

    def clinical_streams(
        self, selection: ExportSelection
    ) -> AsyncIterator[tuple[str, Sequence[ExportRow]]]:
        """Each clinical stream whole, one at a time, grouped by patient: the patient's own
        stream first, then their sessions, in stream id order."""

    def heads(self, selection: ExportSelection) -> AsyncIterator[StreamHead]:
        """The last entry of every exported stream (clinical and access), by stream id."""

    async def subtree_hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        """The RFC 6962 hash of each leaf range ``[a, b)``, a subtree of the recursion,
        from the stored perfect subtrees (in one round trip per batch)."""

    async def tree(self, size: int) -> CompactRange:
        """The stored tree of the first ``size`` leaves."""

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]: ...


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ExportRecord:
    """One row of the ``exports`` table: an export asked for, and how far it got."""

    export_id: str
    clinic_id: str
    patient_id: str | None
    period_start: datetime
    period_end: datetime
    time_zone: str
    requested_by: str
    requester_role: str
    status: ExportStatus
    entries_written: int
    entries_expected: int | None
    checkpoint_size: int | None
    previous_sizes: tuple[int, ...]
    bundle_path: Path
    error: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


class ExportLedger(Protocol):
    """The ``exports`` table."""

    async def add(self, record: ExportRecord) -> None: ...

    async def get(self, export_id: str) -> ExportRecord | None: ...

    async def started(
        self, export_id: str, *, checkpoint_size: int, expected: int, at: datetime
    ) -> None: ...

    async def progressed(self, export_id: str, *, written: int, at: datetime) -> None: ...

    async def finished(
        self, export_id: str, *, status: ExportStatus, written: int, error: str | None, at: datetime
    ) -> None: ...

    async def checkpoint_sizes(self, clinic_id: str, *, below: int) -> list[int]:
        """The checkpoint sizes of the clinic's finished exports, at most ``below``."""

    async def recent(self, *, requested_by: str | None, limit: int) -> list[ExportRecord]:
        """The newest ``limit`` exports, newest first; only those requested by the token
        named ``requested_by`` unless it is None."""


class Disclosures(Protocol):
    """Records, before a bundle is written, that it discloses these patients."""

    async def disclosed(
        self,
        *,
        requester: Requester,
        clinic_id: str,
        patient_ids: Sequence[str],
        resource: str,
        query: dict[str, str],
    ) -> None: ...


class FhirDocumentFactory(Protocol):
    """Makes the FHIR writer of one bundle; it writes under ``root`` (``root/data/...``)."""

    def __call__(self, *, root: Path, scope: ExportScope) -> FhirDocument: ...


class ReportDocumentsFactory(Protocol):
    """Makes the report writers of one bundle; they write under ``root/data/reports/``."""

    def __call__(self, *, root: Path, scope: ExportScope) -> ReportDocuments: ...


class PinnableCheckpoint(Protocol):
    """A stored checkpoint: its tree size and the signed note."""

    @property
    def size(self) -> int: ...

    @property
    def note_text(self) -> str: ...


class CheckpointSource(Protocol):
    """The newest stored checkpoint and the tree's current head."""

    async def latest(self) -> PinnableCheckpoint | None: ...

    async def tree_state(self) -> CompactRange: ...
