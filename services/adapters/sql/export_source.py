"""The log as an export reads it: the selected streams, streamed, with their leaf indices.

Every query is pinned to the leaves below the export's checkpoint (``position <=
last_position``). Those rows are append-only, so the passes may each use their own
connection and still see the same entries. Rows come through server-side cursors
(``yield_per``), never as one list: an export of a million entries holds one batch.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, CompoundSelect, Select, and_, func, or_, select, union
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql.merkle_tree import SqlMerkleTree, fetch_nodes, tree_state
from services.adapters.sql.tables import event_log, merkle_leaves
from services.adapters.sql.types import codepoint_order
from services.chain.compact_range import CompactRange
from services.chain.merkle import NodeId, assemble_proof, perfect_cover
from services.exporting.ports import ExportRow, ExportSelection, SelectionCounts, StreamHead

__all__ = ["SqlExportSource"]

_ACCESS_TYPE = "access.recorded"
# A clinic's profile streams (<clinic>/profile/<protocol>) are neither patient nor session
# streams, which is all bundle format 1 has files for; an export leaves them out.
_CLINIC_LEVEL_TYPES = ("access.recorded", "profile.changed")

_ROW_COLUMNS = (
    merkle_leaves.c.leaf_index,
    event_log.c.stream_id,
    event_log.c.sequence,
    event_log.c.event_id,
    event_log.c.event_type,
    event_log.c.event_json,
    event_log.c.recorded_at,
    event_log.c.prev_hash,
    event_log.c.hash,
    event_log.c.position,
)


class SqlExportSource:
    """Implements ``services.exporting.ports.ExportSource`` over SQLite or PostgreSQL."""

    def __init__(self, *, engine: AsyncEngine, batch: int = 2000) -> None:
        self._engine = engine
        self._batch = batch
        self._tree = SqlMerkleTree(engine=engine)

    async def clinic_known(self, clinic_id: str) -> bool:
        query = select(event_log.c.position).where(event_log.c.clinic_id == clinic_id).limit(1)
        async with self._engine.connect() as connection:
            return (await connection.execute(query)).first() is not None

    async def select(
        self,
        *,
        clinic_id: str,
        start: datetime,
        end: datetime,
        patient_id: str | None,
        size: int,
    ) -> tuple[ExportSelection, SelectionCounts]:
        async with self._engine.connect() as connection:
            last = (
                0
                if size == 0
                else (
                    await connection.execute(
                        select(merkle_leaves.c.position).where(
                            merkle_leaves.c.leaf_index == size - 1
                        )
                    )
                ).scalar_one()
            )
            selection = ExportSelection(
                clinic_id=clinic_id,
                start=start,
                end=end,
                patient_id=patient_id,
                size=size,
                last_position=int(last),
            )
            clinical = _clinical_streams(selection)
            access = _access_streams(selection)
            prefix = f"{clinic_id}/session/"

            async def count(query: Select[Any]) -> int:
                return int((await connection.execute(query)).scalar_one())

            clinical_entries = await count(
                select(func.count()).where(_below(selection), event_log.c.stream_id.in_(clinical))
            )
            access_entries = await count(
                select(func.count()).where(_below(selection), event_log.c.stream_id.in_(access))
            )
            streams = clinical.subquery()
            clinical_streams = await count(select(func.count()).select_from(streams))
            sessions = await count(
                select(func.count())
                .select_from(streams)
                .where(func.substr(streams.c.stream_id, 1, len(prefix)) == prefix)
            )
            access_streams = await count(select(func.count()).select_from(access.subquery()))
            patient = codepoint_order(event_log.c.patient_id).label("patient_id")
            patients = tuple(
                str(p)
                for p in (
                    await connection.execute(
                        _patients(selection).with_only_columns(patient).order_by(patient)
                    )
                ).scalars()
            )
        return selection, SelectionCounts(
            clinical_entries=clinical_entries,
            access_entries=access_entries,
            clinical_streams=clinical_streams,
            access_streams=access_streams,
            sessions=sessions,
            patients=patients,
        )

    async def entries_in_log_order(self, selection: ExportSelection) -> AsyncIterator[ExportRow]:
        query = (
            _rows()
            .where(
                _below(selection),
                or_(
                    event_log.c.stream_id.in_(_clinical_streams(selection)),
                    event_log.c.stream_id.in_(_access_streams(selection)),
                ),
            )
            .order_by(event_log.c.position)
        )
        async for row in self._stream(query):
            yield _to_row(row)

    async def clinical_streams(
        self, selection: ExportSelection
    ) -> AsyncIterator[tuple[str, Sequence[ExportRow]]]:
        query = (
            _rows()
            .where(_below(selection), event_log.c.stream_id.in_(_clinical_streams(selection)))
            # By patient first: the reports can then forget a patient's history as soon as
            # the next patient's streams begin (C/patient/P sorts before C/session/S).
            .order_by(
                codepoint_order(event_log.c.patient_id),
                codepoint_order(event_log.c.stream_id),
                event_log.c.sequence,
            )
        )
        current: str | None = None
        entries: list[ExportRow] = []
        async for row in self._stream(query):
            if row.stream_id != current:
                if current is not None:
                    yield current, entries
                current, entries = row.stream_id, []
            entries.append(_to_row(row))
        if current is not None:
            yield current, entries

    async def heads(self, selection: ExportSelection) -> AsyncIterator[StreamHead]:
        exported = or_(
            event_log.c.stream_id.in_(_clinical_streams(selection)),
            event_log.c.stream_id.in_(_access_streams(selection)),
        )
        last = (
            select(event_log.c.stream_id, func.max(event_log.c.sequence).label("sequence"))
            .where(_below(selection), exported)
            .group_by(event_log.c.stream_id)
            .subquery()
        )
        query = (
            select(event_log.c.stream_id, event_log.c.sequence, event_log.c.hash)
            .join(
                last,
                and_(
                    event_log.c.stream_id == last.c.stream_id,
                    event_log.c.sequence == last.c.sequence,
                ),
            )
            .order_by(codepoint_order(event_log.c.stream_id))
        )
        async for row in self._stream(query):
            yield StreamHead(stream_id=row.stream_id, sequence=int(row.sequence), hash=row.hash)

    async def subtree_hashes(self, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
        plan = tuple(perfect_cover(start, end) for start, end in ranges)
        async with self._engine.connect() as connection:
            nodes = await fetch_nodes(connection, (node for step in plan for node in step))
        return assemble_proof(plan, lambda level, index: nodes[NodeId(level, index)])

    async def tree(self, size: int) -> CompactRange:
        async with self._engine.connect() as connection:
            return await tree_state(connection, size)

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        return await self._tree.consistency_proof(old_size, new_size)

    async def _stream(self, query: Select[Any]) -> AsyncIterator[Any]:
        async with self._engine.connect() as connection:
            result = await connection.stream(query.execution_options(yield_per=self._batch))
            # A batch per await: iterating rows one by one costs a greenlet switch each,
            # the largest cost of a million-row export.
            async for partition in result.partitions():
                for row in partition:
                    yield row


def _below(selection: ExportSelection) -> ColumnElement[bool]:
    return event_log.c.position <= selection.last_position


def _clinical_streams(selection: ExportSelection) -> CompoundSelect[Any]:
    """The clinic's clinical streams with an entry in the period (and of the patient), and
    the patient streams of their patients: a session is judged against consents and
    enrolments that usually happened long before it."""
    in_period = select(event_log.c.stream_id).where(
        event_log.c.clinic_id == selection.clinic_id,
        event_log.c.occurred_at >= selection.start,
        event_log.c.occurred_at < selection.end,
        event_log.c.event_type.not_in(_CLINIC_LEVEL_TYPES),
        _below(selection),
    )
    if selection.patient_id is not None:
        in_period = in_period.where(event_log.c.patient_id == selection.patient_id)
    prefix = f"{selection.clinic_id}/patient/"
    their_patients = select(event_log.c.stream_id).where(
        event_log.c.clinic_id == selection.clinic_id,
        func.substr(event_log.c.stream_id, 1, len(prefix)) == prefix,
        event_log.c.patient_id.in_(
            in_period.with_only_columns(event_log.c.patient_id).scalar_subquery()
        ),
        _below(selection),
    )
    # UNION, not UNION ALL: each stream once.
    return union(in_period, their_patients)


def _patients(selection: ExportSelection) -> Select[Any]:
    return (
        select(event_log.c.patient_id)
        .where(_below(selection), event_log.c.stream_id.in_(_clinical_streams(selection)))
        .distinct()
    )


def _access_streams(selection: ExportSelection) -> Select[Any]:
    """The access streams of every patient with an exported clinical entry."""
    return (
        select(event_log.c.stream_id)
        .where(
            event_log.c.clinic_id == selection.clinic_id,
            event_log.c.event_type == _ACCESS_TYPE,
            event_log.c.patient_id.in_(_patients(selection)),
            _below(selection),
        )
        .distinct()
    )


def _rows() -> Select[Any]:
    return select(*_ROW_COLUMNS).join(
        merkle_leaves, merkle_leaves.c.position == event_log.c.position
    )


def _to_row(row: Any) -> ExportRow:
    return ExportRow(
        index=int(row.leaf_index),
        stream_id=row.stream_id,
        sequence=int(row.sequence),
        event_id=row.event_id,
        event_type=row.event_type,
        event_json=row.event_json,
        recorded_at=row.recorded_at,
        prev_hash=row.prev_hash,
        hash=row.hash,
        position=int(row.position),
    )
