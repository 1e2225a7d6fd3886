"""The log's ports: the recorder appends through ``EventStore``, verification and the
readers of the log read through ``LogReader``; adapters implement them (SQL, memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from services.chain import LogRow, SessionOwner
from services.chain.compact_range import CompactRange
from services.recording.messages import BatchOutcome, Rejection, ValidEvent

__all__ = ["CheckpointTrigger", "DeadLetterSink", "EventStore", "LogReader", "LogSnapshot"]


class EventStore(Protocol):
    """The append-only log and its rejected-messages table."""

    async def record(
        self,
        *,
        valid: Sequence[ValidEvent],
        invalid: Sequence[Rejection],
        recorded_at: datetime,
    ) -> BatchOutcome:
        """Append in one transaction: new events chained, duplicates ignored,
        conflicts and ``invalid`` stored as rejections (each Kafka offset once)."""
        ...


class DeadLetterSink(Protocol):
    """Where rejected messages go for the people who publish them to see."""

    async def send(self, rejection: Rejection) -> None:
        """Deliver one dead letter and wait for it to be acknowledged; raise if it was not."""
        ...


class CheckpointTrigger(Protocol):
    """Told how many events each committed batch recorded; signs checkpoints as due."""

    async def recorded(self, count: int) -> None:
        """Never raises: a checkpoint that fails must not stop recording."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class LogSnapshot:
    """The log as of one moment, for ``verify``; iterate the row streams one after the
    other (they may share one connection)."""

    owners: dict[str, SessionOwner]
    rows_by_stream: AsyncIterator[LogRow]
    """Every row ordered by stream, then sequence: the chains' order."""
    rows_in_log_order: Callable[[], AsyncIterator[LogRow]]
    """Every row in position order: the Merkle tree's order."""
    tree: CompactRange | None
    """The stored Merkle tree's frontier; ``None`` if nodes of it are missing."""
    checkpoint_note: str | None
    """The newest signed checkpoint (largest tree), as stored."""


class LogReader(Protocol):
    """The log as its readers see it: rows never change once committed, and positions
    grow in commit order, so ``rows(after_position=p)`` never misses a later commit."""

    async def count(self) -> int:
        """How many events the log holds."""
        ...

    async def stream_exists(self, stream_id: str) -> bool:
        """Whether the log holds any event of ``stream_id``."""
        ...

    async def rows(self, *, after_position: int = 0, limit: int = 1000) -> list[LogRow]:
        """At most ``limit`` rows in position order, starting after ``after_position``."""
        ...

    def rows_by_stream(self, *, batch: int = 2000) -> AsyncIterator[LogRow]:
        """Every row ordered by stream, then sequence (streamed, ``batch`` at a time)."""
        ...

    def snapshot(self, *, batch: int = 2000) -> AbstractAsyncContextManager[LogSnapshot]:
        """Everything ``verify`` reads, as of one moment."""
        ...

    async def rejections(self) -> list[Rejection]:
        """Every rejected message, oldest first."""
        ...
