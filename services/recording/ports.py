"""The ports the recorder needs; adapters implement them, tests may fake them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from services.recording.messages import BatchOutcome, Rejection, ValidEvent

__all__ = ["CheckpointTrigger", "DeadLetterSink", "EventStore"]


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
