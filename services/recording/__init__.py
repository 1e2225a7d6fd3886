"""Recording: turn raw Kafka messages into log entries or rejections, exactly once."""

from services.recording.messages import (
    BatchOutcome,
    IncomingMessage,
    KafkaCoordinates,
    Rejection,
    ValidEvent,
)
from services.recording.ports import CheckpointTrigger, DeadLetterSink, EventStore
from services.recording.recorder import Recorder, RecorderMetrics, classify

__all__ = [
    "BatchOutcome",
    "CheckpointTrigger",
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
