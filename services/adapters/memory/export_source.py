"""The memory log as an export reads it: the same selection as ``SqlExportSource``, read
from the rows and leaves the memory log keeps."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from services.adapters.memory.event_store import InMemoryEventStore
from services.chain import LogRow
from services.chain.compact_range import CompactRange
from services.chain.merkle import MemoryNodes, assemble_proof, perfect_cover
from services.exporting.ports import ExportRow, ExportSelection, SelectionCounts, StreamHead

__all__ = ["InMemoryExportSource"]

_ACCESS_TYPE = "access.recorded"
# As in SqlExportSource: a clinic's profile streams have no file in bundle format 1.
_CLINIC_LEVEL_TYPES = ("access.recorded", "profile.changed")


class InMemoryExportSource:
    """Implements ``services.exporting.ports.ExportSource`` over an ``InMemoryEventStore``,
    whose leaf ``i`` is the row at position ``i + 1``."""

    def __init__(self, *, log: InMemoryEventStore) -> None:
        self._log = log

    async def clinic_known(self, clinic_id: str) -> bool:
        return any(row.clinic_id == clinic_id for row in await self._rows())

    async def select(
        self,
        *,
        clinic_id: str,
        start: datetime,
        end: datetime,
        patient_id: str | None,
        size: int,
    ) -> tuple[ExportSelection, SelectionCounts]:
        selection = ExportSelection(
            clinic_id=clinic_id,
            start=start,
            end=end,
            patient_id=patient_id,
            size=size,
            last_position=size,
        )
        rows = await self._below(selection)
        chosen = _Chosen.of(selection, rows)
        return selection, SelectionCounts(
            clinical_entries=sum(1 for row in rows if row.stream_id in chosen.clinical),
            access_entries=sum(1 for row in rows if row.stream_id in chosen.access),
            clinical_streams=len(chosen.clinical),
            access_streams=len(chosen.access),
            sessions=sum(1 for s in chosen.clinical if s.startswith(f"{clinic_id}/session/")),
            patients=tuple(sorted(chosen.patients)),
        )

    async def entries_in_log_order(self, selection: ExportSelection) -> AsyncIterator[ExportRow]:
        rows = await self._below(selection)
        exported = _Chosen.of(selection, rows).exported
        for row in rows:
            if row.stream_id in exported:
                yield _to_row(row)

    async def clinical_streams(
        self, selection: ExportSelection
    ) -> AsyncIterator[tuple[str, Sequence[ExportRow]]]:
        rows = await self._below(selection)
        clinical = _Chosen.of(selection, rows).clinical
        ordered = sorted(
            (row for row in rows if row.stream_id in clinical),
            key=lambda row: (row.patient_id, row.stream_id, row.sequence),
        )
        current: str | None = None
        entries: list[ExportRow] = []
        for row in ordered:
            if row.stream_id != current:
                if current is not None:
                    yield current, entries
                current, entries = row.stream_id, []
            entries.append(_to_row(row))
        if current is not None:
            yield current, entries

    async def heads(self, selection: ExportSelection) -> AsyncIterator[StreamHead]:
        rows = await self._below(selection)
        exported = _Chosen.of(selection, rows).exported
        last: dict[str, LogRow] = {}
        for row in rows:
            if row.stream_id in exported:
                last[row.stream_id] = row
        for stream_id in sorted(last):
            row = last[stream_id]
            yield StreamHead(stream_id=stream_id, sequence=row.sequence, hash=row.hash)

    async def subtree_hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        plan = tuple(perfect_cover(start, end) for start, end in ranges)
        return assemble_proof(plan, MemoryNodes(self._log.leaves()))

    async def tree(self, size: int) -> CompactRange:
        return CompactRange().extend(self._log.leaves(size))

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return await self._log.consistency_proof(old_size, new_size)

    async def _rows(self) -> list[LogRow]:
        return await self._log.rows(after_position=0, limit=await self._log.count())

    async def _below(self, selection: ExportSelection) -> list[LogRow]:
        return await self._log.rows(after_position=0, limit=selection.last_position)


@dataclass(frozen=True, slots=True)
class _Chosen:
    """The streams a selection exports, and the patients they are of."""

    clinical: set[str]
    patients: set[str]
    access: set[str]

    @classmethod
    def of(cls, selection: ExportSelection, rows: Sequence[LogRow]) -> _Chosen:
        clinical = _clinical_streams(selection, rows)
        patients = {row.patient_id for row in rows if row.stream_id in clinical}
        return cls(clinical, patients, _access_streams(selection, rows, patients))

    @property
    def exported(self) -> set[str]:
        return self.clinical | self.access


def _clinical_streams(selection: ExportSelection, rows: Sequence[LogRow]) -> set[str]:
    """As ``SqlExportSource``: the clinic's clinical streams with an entry in the period
    (and of the patient), and the patient streams of their patients."""
    in_period = [
        row
        for row in rows
        if row.clinic_id == selection.clinic_id
        and selection.start <= row.occurred_at < selection.end
        and row.event_type not in _CLINIC_LEVEL_TYPES
        and (selection.patient_id is None or row.patient_id == selection.patient_id)
    ]
    their_patients = {row.patient_id for row in in_period}
    prefix = f"{selection.clinic_id}/patient/"
    return {row.stream_id for row in in_period} | {
        row.stream_id
        for row in rows
        if row.clinic_id == selection.clinic_id
        and row.stream_id.startswith(prefix)
        and row.patient_id in their_patients
    }


def _access_streams(
    selection: ExportSelection, rows: Sequence[LogRow], patients: set[str]
) -> set[str]:
    """The access streams of every patient with an exported clinical entry."""
    return {
        row.stream_id
        for row in rows
        if row.clinic_id == selection.clinic_id
        and row.event_type == _ACCESS_TYPE
        and row.patient_id in patients
    }


def _to_row(row: LogRow) -> ExportRow:
    return ExportRow(
        index=row.position - 1,
        stream_id=row.stream_id,
        sequence=row.sequence,
        event_id=row.event_id,
        event_type=row.event_type,
        event_json=row.event_json,
        recorded_at=row.recorded_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
        position=row.position,
    )
