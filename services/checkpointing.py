"""Signing the log's Merkle tree head as a C2SP checkpoint, storing and publishing it.

The database copy is what ``verify`` checks the log against; the Kafka copy lives
outside the database's control, so an attacker who rewrites the log and its
checkpoints table is still caught by anyone holding an earlier note.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.chain.checkpoint import Checkpoint, sign_checkpoint
from services.chain.compact_range import CompactRange
from services.chain.note import Signer
from services.clock import Clock

__all__ = [
    "CheckpointArchive",
    "CheckpointLedger",
    "CheckpointPublisher",
    "CheckpointSchedule",
    "CheckpointWriter",
    "StoredCheckpoint",
    "WrittenCheckpoint",
]

_log = logging.getLogger("kapaudit.checkpoints")


class CheckpointLedger(Protocol):
    """Where the tree's head is read and its signed checkpoints are kept."""

    async def tree_state(self) -> CompactRange: ...

    async def add(
        self, *, size: int, root_hash: bytes, note_text: str, key_id: str, created_at: datetime
    ) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredCheckpoint:
    """One kept checkpoint; ``note_text`` is the signed note, the evidence."""

    id: int
    size: int
    root_hash: str
    note_text: str
    key_id: str
    created_at: datetime


class CheckpointArchive(Protocol):
    """The checkpoints kept so far, as proofs are checked against them."""

    async def latest(self) -> StoredCheckpoint | None:
        """The newest checkpoint: the largest tree, the last written among equals."""
        ...

    async def of_size(self, size: int) -> StoredCheckpoint | None:
        """The last checkpoint written of a tree of ``size`` leaves."""
        ...


class CheckpointPublisher(Protocol):
    """A copy of every checkpoint outside the database (Kafka)."""

    async def publish(self, note: str) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class WrittenCheckpoint:
    size: int
    root_hash: bytes
    note: str
    published: bool


class CheckpointWriter:
    """Signs the current tree head, stores it, then publishes it.

    A failed publish is logged, not raised: the stored checkpoint stands, and the next
    one (which extends it) goes out again.
    """

    def __init__(
        self,
        *,
        ledger: CheckpointLedger,
        publisher: CheckpointPublisher | None,
        signer: Signer,
        origin: str,
        clock: Clock,
    ) -> None:
        self._ledger = ledger
        self._publisher = publisher
        self._signer = signer
        self._origin = origin
        self._clock = clock

    async def write(self) -> WrittenCheckpoint:
        state = await self._ledger.tree_state()
        root_hash = state.root()
        note = sign_checkpoint(
            Checkpoint(origin=self._origin, size=state.size, root_hash=root_hash), self._signer
        )
        verifier = self._signer.verifier
        await self._ledger.add(
            size=state.size,
            root_hash=root_hash,
            note_text=note,
            key_id=f"{verifier.name}+{verifier.key_id:08x}",
            created_at=self._clock.now(),
        )
        published = False
        if self._publisher is not None:
            try:
                await self._publisher.publish(note)
                published = True
            except Exception as failure:
                _log.error("checkpoint of size %d not published: %r", state.size, failure)
        return WrittenCheckpoint(
            size=state.size, root_hash=root_hash, note=note, published=published
        )


class CheckpointSchedule:
    """Writes a checkpoint every ``every_events`` recorded events or ``every_seconds``.

    Told of each committed batch by the recorder, and of idle time by the runtime's
    ticks (``recorded(0)``), so a quiet log is still signed within ``every_seconds``.
    It never raises: a checkpoint that fails is logged and tried again at the next
    batch or tick, and recording goes on.
    """

    def __init__(
        self, *, writer: CheckpointWriter, every_events: int, every_seconds: float, clock: Clock
    ) -> None:
        self._writer = writer
        self._every_events = every_events
        self._every_seconds = every_seconds
        self._clock = clock
        self._pending = 0
        self._last = clock.now()
        # The recorder's batches and the runtime's idle ticks may both ask at once.
        self._lock = asyncio.Lock()

    async def recorded(self, count: int) -> None:
        self._pending += count
        async with self._lock:
            await self._write_if_due()

    async def _write_if_due(self) -> None:
        if not self._pending:
            return
        waited = (self._clock.now() - self._last).total_seconds()
        if self._pending < self._every_events and waited < self._every_seconds:
            return
        taken = self._pending
        try:
            written = await self._writer.write()
        except Exception as failure:
            _log.error("checkpoint not written (retried at the next batch or tick): %r", failure)
            return
        # Batches committed while signing may or may not be in this checkpoint: keep
        # counting them, at worst the next checkpoint comes early.
        self._pending -= taken
        self._last = self._clock.now()
        _log.info("checkpoint of size %d signed", written.size)
