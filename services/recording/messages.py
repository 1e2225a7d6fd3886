"""Value objects that travel between the broker adapter, the recorder and the store."""

from __future__ import annotations

from dataclasses import dataclass, field

from events import FieldError, RejectionReason, SessionEvent

__all__ = ["BatchOutcome", "IncomingMessage", "KafkaCoordinates", "Rejection", "ValidEvent"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KafkaCoordinates:
    """Where a message sat in Kafka, so a rejection can be traced back to it."""

    topic: str
    partition: int
    offset: int


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingMessage:
    """One message as it came off the topic, bytes untouched."""

    value: bytes | None
    key: bytes | None
    coordinates: KafkaCoordinates


@dataclass(frozen=True, slots=True, kw_only=True)
class ValidEvent:
    """An event that passed the contract, with the canonical JSON the log stores."""

    event: SessionEvent
    canonical_json: str
    coordinates: KafkaCoordinates | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Rejection:
    """A message that will not enter the log, with the reason and the original bytes."""

    raw: bytes
    key: bytes | None
    reason: RejectionReason
    errors: tuple[FieldError, ...]
    coordinates: KafkaCoordinates
    event_id: str | None = None

    def describe(self) -> str:
        """One line: the reason and each field error."""
        details = "; ".join(f"{error.path}: {error.message}" for error in self.errors)
        return f"{self.reason.value}: {details}" if details else self.reason.value


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchOutcome:
    """What one batch did to the log."""

    recorded: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
