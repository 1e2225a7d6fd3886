"""Recording: turn raw Kafka messages into log entries or rejections, exactly once."""

from services.recording.messages import (
    BatchOutcome,
    IncomingMessage,
    KafkaCoordinates,
    Rejection,
    ValidEvent,
)
from services.recording.ports import DeadLetterSink, EventStore
from services.recording.recorder import Recorder, RecorderMetrics, classify

__all__ = [
    "BatchOutcome",
    "DeadLetterSink",
    "EventStore",
    "IncomingMessage",
    "KafkaCoordinates",
    "Recorder",
    "RecorderMetrics",
    "Rejection",
    "ValidEvent",
    "classify",
]
