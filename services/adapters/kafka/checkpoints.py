"""Signed checkpoints on ``kap.checkpoints.v1``: a copy of each outside the database."""

from __future__ import annotations

from typing import Final

from faststream.kafka import KafkaBroker

__all__ = ["CHECKPOINT_TOPIC", "KafkaCheckpointPublisher"]

CHECKPOINT_TOPIC: Final = "kap.checkpoints.v1"
"""One partition, keyed by the log's origin: witnesses read the notes in order."""


class KafkaCheckpointPublisher:
    """Publishes each signed note (UTF-8 text) and waits for the broker's acknowledgement."""

    def __init__(self, *, broker: KafkaBroker, origin: str) -> None:
        self._broker = broker
        self._key = origin.encode("utf-8")

    async def publish(self, note: str) -> None:
        await self._broker.publish(
            note.encode("utf-8"),
            topic=CHECKPOINT_TOPIC,
            key=self._key,
            headers={"content-type": "text/plain; charset=utf-8"},
        )
