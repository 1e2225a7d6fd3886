"""The one place that wires ports to adapters."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import KafkaDeadLetterSink, register_recorder
from services.adapters.sql import SqlEventStore
from services.clock import Clock, SystemClock
from services.config import Settings
from services.recording import Recorder

__all__ = ["wire_recorder"]


def wire_recorder(
    *,
    settings: Settings,
    broker: KafkaBroker,
    engine: AsyncEngine,
    clock: Clock | None = None,
) -> Recorder:
    """Build the recorder on the SQL store and Kafka dead letters, and subscribe it."""
    recorder = Recorder(
        store=SqlEventStore(engine=engine),
        dead_letters=KafkaDeadLetterSink(broker=broker),
        clock=clock or SystemClock(),
    )
    register_recorder(
        broker,
        recorder=recorder,
        group_id=settings.recorder_group_id,
        batch_size=settings.recorder_batch_size,
        batch_timeout_ms=settings.recorder_batch_timeout_ms,
    )
    return recorder
