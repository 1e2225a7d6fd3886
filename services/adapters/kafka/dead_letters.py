"""Dead letters: the original bytes plus the reason, on ``kap.session-events.dlq.v1``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from faststream.kafka import KafkaBroker

from events import DLQ_TOPIC
from services.recording import Rejection

__all__ = ["KafkaDeadLetterSink", "dead_letter_headers"]


def dead_letter_headers(rejection: Rejection) -> dict[str, str]:
    """Headers that let a publisher find and fix the message without opening the database."""
    return {
        "kapaudit-reason": rejection.reason.value,
        "kapaudit-errors": json.dumps(
            [{"path": e.path, "message": e.message} for e in rejection.errors],
            # ASCII escapes: an error path may quote any key the publisher sent, and
            # a rejection must be storable whatever bytes it describes.
            ensure_ascii=True,
        ),
        "kapaudit-source-topic": rejection.coordinates.topic,
        "kapaudit-source-partition": str(rejection.coordinates.partition),
        "kapaudit-source-offset": str(rejection.coordinates.offset),
    }


class KafkaDeadLetterSink:
    """Publishes rejections to the dead-letter topic and waits for the broker's acks."""

    def __init__(self, *, broker: KafkaBroker) -> None:
        self._broker = broker

    async def send(self, rejections: Sequence[Rejection]) -> None:
        await asyncio.gather(
            *(
                self._broker.publish(
                    rejection.raw,
                    topic=DLQ_TOPIC,
                    key=rejection.key,
                    headers=dead_letter_headers(rejection),
                )
                for rejection in rejections
            )
        )
