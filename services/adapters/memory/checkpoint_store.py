"""Signed checkpoints in a list, over the memory log's Merkle tree."""

from __future__ import annotations

from datetime import datetime

from services.adapters.memory.event_store import InMemoryEventStore
from services.chain.compact_range import CompactRange
from services.checkpointing import StoredCheckpoint

__all__ = ["InMemoryCheckpointStore"]


class InMemoryCheckpointStore:
    """``CheckpointLedger`` and ``CheckpointArchive`` over ``log``; the newest note is also
    handed to the log, which shows it to ``verify`` as the SQL snapshot does."""

    def __init__(self, *, log: InMemoryEventStore) -> None:
        self._log = log
        self._kept: list[StoredCheckpoint] = []

    async def tree_state(self) -> CompactRange:
        return await self._log.tree_state()

    async def add(
        self, *, size: int, root_hash: bytes, note_text: str, key_id: str, created_at: datetime
    ) -> None:
        self._kept.append(
            StoredCheckpoint(
                id=len(self._kept) + 1,
                size=size,
                root_hash=root_hash.hex(),
                note_text=note_text,
                key_id=key_id,
                created_at=created_at,
            )
        )
        latest = await self.latest()
        self._log.checkpoint_note = None if latest is None else latest.note_text

    async def latest(self) -> StoredCheckpoint | None:
        return max(self._kept, key=lambda kept: (kept.size, kept.id), default=None)

    async def of_size(self, size: int) -> StoredCheckpoint | None:
        return max(
            (kept for kept in self._kept if kept.size == size),
            key=lambda kept: kept.id,
            default=None,
        )
