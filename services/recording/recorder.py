"""The recorder: classify a batch, store it in one transaction, then dead-letter the rejects."""

from __future__ import annotations

from collections.abc import Sequence

from events import (
    EventRejected,
    FieldError,
    RejectionReason,
    canonical_json,
    check_topic,
    parse_event,
)
from services.clock import Clock
from services.recording.messages import BatchOutcome, IncomingMessage, Rejection, ValidEvent
from services.recording.ports import DeadLetterSink, EventStore

__all__ = ["Recorder", "classify"]


def classify(messages: Sequence[IncomingMessage]) -> tuple[list[ValidEvent], list[Rejection]]:
    """Split raw messages into contract-valid events and rejections, keeping their order.

    A valid event on a topic its type does not travel on (``access.recorded`` on the
    clinics' topic, anything else on kapaudit's access topic) is a ``wrong_topic``
    rejection: a read record must come from kapaudit, not from whoever can write the
    clinics' topic.
    """
    valid: list[ValidEvent] = []
    invalid: list[Rejection] = []
    for message in messages:
        if message.value is None:
            invalid.append(
                Rejection(
                    raw=b"",
                    key=message.key,
                    reason=RejectionReason.INVALID_JSON,
                    errors=(FieldError(path="(root)", message="message has no value"),),
                    coordinates=message.coordinates,
                )
            )
            continue
        try:
            event = parse_event(message.value)
        except EventRejected as rejected:
            invalid.append(
                Rejection(
                    raw=message.value,
                    key=message.key,
                    reason=rejected.reason,
                    errors=tuple(rejected.errors),
                    coordinates=message.coordinates,
                )
            )
            continue
        try:
            check_topic(event, message.coordinates.topic)
        except EventRejected as misrouted:
            invalid.append(
                Rejection(
                    raw=message.value,
                    key=message.key,
                    reason=misrouted.reason,
                    errors=tuple(misrouted.errors),
                    coordinates=message.coordinates,
                    event_id=str(event.event_id),
                )
            )
            continue
        valid.append(
            ValidEvent(
                event=event,
                canonical_json=canonical_json(event).decode("utf-8"),
                coordinates=message.coordinates,
            )
        )
    return valid, invalid


class Recorder:
    """Records batches: the store commits first, dead letters follow.

    Dead letters go out after the commit so that a crash in between only repeats
    them on redelivery (the store keeps each rejected offset once and reports it
    again), and never leaves a dead letter for a batch that was rolled back.
    """

    def __init__(self, *, store: EventStore, dead_letters: DeadLetterSink, clock: Clock) -> None:
        self._store = store
        self._dead_letters = dead_letters
        self._clock = clock

    async def record_batch(self, messages: Sequence[IncomingMessage]) -> BatchOutcome:
        valid, invalid = classify(messages)
        outcome = await self._store.record(
            valid=valid, invalid=invalid, recorded_at=self._clock.now()
        )
        if outcome.rejections:
            await self._dead_letters.send(outcome.rejections)
        return outcome
