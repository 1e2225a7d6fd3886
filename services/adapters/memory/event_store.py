"""The log in memory: the same plan as the SQL store (``plan_append``), the same chains,
the same Merkle tree, kept in lists and dictionaries."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from services.chain import ChainLink, LogRow, SessionOwner
from services.chain.compact_range import CompactRange
from services.chain.merkle import consistency_proof, inclusion_proof
from services.proofs import LeafNotFoundError
from services.recording.append_plan import Owner, plan_append
from services.recording.messages import BatchOutcome, KafkaCoordinates, Rejection, ValidEvent
from services.recording.ports import LogSnapshot

__all__ = ["InMemoryEventStore"]


class InMemoryEventStore:
    """``EventStore``, ``LogReader`` and ``ProofTree`` over lists: positions count from 1 in
    append order, a batch is all or nothing, each Kafka offset's rejection is kept once.

    A batch is applied without awaiting anything, so concurrent ``record`` calls on one
    event loop are serialised as the SQL store's writers' lock serialises them.
    """

    def __init__(self) -> None:
        self._rows: list[LogRow] = []
        self._bodies: dict[str, str] = {}
        self._heads: dict[str, ChainLink] = {}
        self._owners: dict[str, Owner] = {}
        self._rejections: dict[KafkaCoordinates, Rejection] = {}
        self._tree = CompactRange()
        self._leaves: list[bytes] = []
        self._leaf_of: dict[str, tuple[int, str]] = {}
        self.checkpoint_note: str | None = None
        """The newest signed checkpoint, as a checkpoint store would keep it."""

    async def record(
        self,
        *,
        valid: Sequence[ValidEvent],
        invalid: Sequence[Rejection],
        recorded_at: datetime,
    ) -> BatchOutcome:
        if recorded_at.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        recorded_at = recorded_at.astimezone(UTC)
        plan = plan_append(
            valid=valid,
            invalid=invalid,
            known_bodies=self._bodies,
            owners=self._owners,
            heads=self._heads,
            recorded_at=recorded_at,
        )
        rows = [
            self._log_row(row, position=len(self._rows) + n) for n, row in enumerate(plan.rows, 1)
        ]
        # Everything is decided above; from here on nothing can fail halfway.
        for owner in plan.new_owners:
            self._owners[owner["session_id"]] = (owner["clinic_id"], owner["patient_id"])
        for row in rows:
            self._rows.append(row)
            self._bodies[row.event_id] = row.event_json
            self._heads[row.stream_id] = ChainLink(sequence=row.sequence, hash=row.hash)
        self._tree = self._tree.extend(plan.leaves)
        for row, leaf in zip(rows, plan.leaves, strict=True):
            self._leaf_of[row.event_id] = (len(self._leaves), row.clinic_id)
            self._leaves.append(leaf)
        for rejection in plan.rejections:
            self._rejections.setdefault(rejection.coordinates, rejection)
        return BatchOutcome(
            recorded=[row.event_id for row in rows],
            duplicates=plan.duplicates,
            rejections=plan.rejections,
        )

    @staticmethod
    def _log_row(row: dict[str, Any], *, position: int) -> LogRow:
        fields = {name: row[name] for name in LogRow.__dataclass_fields__ if name != "position"}
        fields["occurred_at"] = fields["occurred_at"].astimezone(UTC)
        return LogRow(position=position, **fields)

    async def count(self) -> int:
        return len(self._rows)

    async def stream_exists(self, stream_id: str) -> bool:
        return stream_id in self._heads

    async def rows(self, *, after_position: int = 0, limit: int = 1000) -> list[LogRow]:
        # Position n is at index n - 1.
        start = max(after_position, 0)
        return self._rows[start : start + max(limit, 0)]

    async def rows_by_stream(self, *, batch: int = 2000) -> AsyncIterator[LogRow]:
        for row in _by_stream(self._rows):
            yield row

    @contextlib.asynccontextmanager
    async def snapshot(self, *, batch: int = 2000) -> AsyncIterator[LogSnapshot]:
        rows = list(self._rows)

        async def in_order(ordered: Iterable[LogRow]) -> AsyncIterator[LogRow]:
            for row in ordered:
                yield row

        yield LogSnapshot(
            owners={
                session: SessionOwner(clinic_id=clinic, patient_id=patient)
                for session, (clinic, patient) in self._owners.items()
            },
            rows_by_stream=in_order(_by_stream(rows)),
            rows_in_log_order=lambda: in_order(rows),
            tree=self._tree,
            checkpoint_note=self.checkpoint_note,
        )

    async def rejections(self) -> list[Rejection]:
        return list(self._rejections.values())

    # The Merkle tree as proofs read it (``ProofTree``): one leaf per row, in log order.

    async def tree_state(self) -> CompactRange:
        return self._tree

    def leaves(self, size: int | None = None) -> list[bytes]:
        """The first ``size`` leaf hashes (all of them by default)."""
        return list(self._leaves if size is None else self._leaves[:size])

    async def leaf(self, event_id: str) -> tuple[int, str, bytes]:
        if event_id not in self._leaf_of:
            raise LeafNotFoundError(event_id)
        index, clinic_id = self._leaf_of[event_id]
        return index, clinic_id, self._leaves[index]

    async def inclusion_proof(self, index: int, size: int) -> list[bytes]:
        self._has(size)
        return inclusion_proof(index, size, self._leaves[:size])

    async def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        self._has(new_size)
        return consistency_proof(old_size, new_size, self._leaves[:new_size])

    def _has(self, size: int) -> None:
        if size > len(self._leaves):
            raise LeafNotFoundError(f"the tree has fewer than {size} leaves")


def _by_stream(rows: Sequence[LogRow]) -> list[LogRow]:
    return sorted(rows, key=lambda row: (row.stream_id, row.sequence))
