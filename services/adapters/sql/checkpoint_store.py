"""Signed checkpoints in the append-only ``checkpoints`` table, and the tree they sign."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql.merkle_tree import tree_state
from services.adapters.sql.tables import checkpoints
from services.chain.compact_range import CompactRange
from services.checkpointing import StoredCheckpoint

__all__ = ["SqlCheckpointStore"]


class SqlCheckpointStore:
    """``CheckpointLedger`` and ``CheckpointArchive`` on SQL; the tree's current head comes
    from ``merkle_nodes``."""

    def __init__(self, *, engine: AsyncEngine) -> None:
        self._engine = engine

    async def tree_state(self) -> CompactRange:
        async with self._engine.connect() as connection:
            return await tree_state(connection)

    async def add(
        self, *, size: int, root_hash: bytes, note_text: str, key_id: str, created_at: datetime
    ) -> None:
        async with self._engine.begin() as connection:
            await connection.execute(
                insert(checkpoints).values(
                    size=size,
                    root_hash=root_hash.hex(),
                    note_text=note_text,
                    key_id=key_id,
                    created_at=created_at,
                )
            )

    async def latest(self) -> StoredCheckpoint | None:
        """The newest checkpoint: the largest tree, the last written among equals."""
        query = select(checkpoints).order_by(checkpoints.c.size.desc(), checkpoints.c.id.desc())
        async with self._engine.connect() as connection:
            row = (await connection.execute(query.limit(1))).mappings().first()
        return None if row is None else StoredCheckpoint(**row)

    async def of_size(self, size: int) -> StoredCheckpoint | None:
        """The last checkpoint written of a tree of ``size`` leaves."""
        query = (
            select(checkpoints)
            .where(checkpoints.c.size == size)
            .order_by(checkpoints.c.id.desc())
            .limit(1)
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).mappings().first()
        return None if row is None else StoredCheckpoint(**row)
