"""The recorder: classify a batch, store it in one transaction, then dead-letter the rejects."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass

from events import (
    EventRejected,
    FieldError,
    RejectionReason,
    check_topic,
    parse_event_with_canonical,
)
from services.clock import Clock
from services.metrics import NO_METRICS, Metrics
from services.recording.messages import BatchOutcome, IncomingMessage, Rejection, ValidEvent
from services.recording.ports import CheckpointTrigger, DeadLetterSink, EventStore

__all__ = ["DEAD_LETTER_RETRY_DELAYS_S", "Recorder", "RecorderMetrics", "classify"]

_log = logging.getLogger("kapaudit.recorder")

DEAD_LETTER_RETRY_DELAYS_S: tuple[float, ...] = (0.5, 2.0)
"""Pauses between the attempts to deliver one dead letter (three attempts in all)."""


@dataclass(slots=True, kw_only=True)
class RecorderMetrics:
    """Counters an operator watches; the recorder logs every change of them too. In-process
    figures for tests and logs; the ``Metrics`` port given to the recorder exports them."""

    dead_letters_sent: int = 0
    dead_letters_failed: int = 0
    """Rejections stored in ``rejected_events`` whose dead letter never reached the topic."""


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
            event, canonical = parse_event_with_canonical(message.value)
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
                canonical_json=canonical.decode("utf-8"),
                coordinates=message.coordinates,
            )
        )
    return valid, invalid


class Recorder:
    """Records batches: the store commits first, dead letters follow.

    Dead letters go out after the commit so that a crash in between only repeats
    them on redelivery (the store keeps each rejected offset once and reports it
    again), and never leaves a dead letter for a batch that was rolled back.

    Delivering a dead letter is tried a bounded number of times, then counted and
    logged as failed: the rejection is already stored, and a dead letter the topic
    will never take must not hold back every later event of its partition.
    """

    def __init__(
        self,
        *,
        store: EventStore,
        dead_letters: DeadLetterSink,
        clock: Clock,
        dead_letter_retry_delays_s: Sequence[float] = DEAD_LETTER_RETRY_DELAYS_S,
        checkpoints: CheckpointTrigger | None = None,
        metrics: Metrics = NO_METRICS,
    ) -> None:
        self._store = store
        self._meter = metrics
        self._checkpoints = checkpoints
        self._dead_letters = dead_letters
        self._clock = clock
        self._retry_delays = tuple(dead_letter_retry_delays_s)
        self.metrics = RecorderMetrics()

    async def record_batch(self, messages: Sequence[IncomingMessage]) -> BatchOutcome:
        # A duration, not an instant of the record: the monotonic clock, not ``Clock``.
        started = time.perf_counter()
        valid, invalid = classify(messages)
        outcome = await self._store.record(
            valid=valid, invalid=invalid, recorded_at=self._clock.now()
        )
        self._meter.batch_committed(seconds=time.perf_counter() - started)
        self._meter.events_recorded(
            recorded=len(outcome.recorded), duplicates=len(outcome.duplicates)
        )
        for rejection in outcome.rejections:
            self._meter.event_rejected(reason=rejection.reason.value)
        if outcome.rejections:
            await asyncio.gather(*(self._dead_letter(r) for r in outcome.rejections))
        await self._tell_checkpoints(len(outcome.recorded))
        return outcome

    async def idle(self) -> None:
        """Called every so often by the runtime: a quiet log still gets its last events
        signed within the checkpoint period, though no batch comes to trigger it."""
        await self._tell_checkpoints(0)

    async def _tell_checkpoints(self, recorded: int) -> None:
        if self._checkpoints is None:
            return
        try:
            await self._checkpoints.recorded(recorded)
        except Exception:
            # The batch is committed; a checkpoint is for later, recording is now.
            _log.exception("checkpoint trigger failed; recording goes on")

    async def _dead_letter(self, rejection: Rejection) -> None:
        coordinates = rejection.coordinates
        where = f"{coordinates.topic}/{coordinates.partition}@{coordinates.offset}"
        for attempt, delay in enumerate((*self._retry_delays, None), start=1):
            try:
                await self._dead_letters.send(rejection)
            except Exception as failure:
                if delay is None:
                    self.metrics.dead_letters_failed += 1
                    self._meter.dead_letter_failed()
                    _log.error(
                        "dead letter for %s (%s) not delivered after %d attempts: %r; "
                        "the rejection is kept in rejected_events "
                        "(dead_letters_failed=%d)",
                        where,
                        rejection.reason.value,
                        attempt,
                        failure,
                        self.metrics.dead_letters_failed,
                        extra=_coordinates(rejection),
                    )
                    return
                _log.warning(
                    "dead letter for %s not delivered (attempt %d): %r",
                    where,
                    attempt,
                    failure,
                    extra=_coordinates(rejection),
                )
                await asyncio.sleep(delay)
            else:
                self.metrics.dead_letters_sent += 1
                return


def _coordinates(rejection: Rejection) -> dict[str, object]:
    """A rejection's ``extra=`` for the JSON log lines: where it came from, and why."""
    return {
        "topic": rejection.coordinates.topic,
        "partition": rejection.coordinates.partition,
        "offset": rejection.coordinates.offset,
        "reason": rejection.reason.value,
        "event_id": rejection.event_id,
    }
