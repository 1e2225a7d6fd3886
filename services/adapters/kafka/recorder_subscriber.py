"""The recorder's FastStream subscriber: batches in, offsets committed after the DB commit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from faststream.message import StreamMessage

from events import ACCESS_TOPIC, TOPIC
from services.metrics import NO_METRICS, Metrics
from services.recording import BatchOutcome, IncomingMessage, KafkaCoordinates, Recorder

__all__ = ["AfterCommit", "register_recorder"]

AfterCommit = Callable[[BatchOutcome], Awaitable[None]]
"""Called once a batch is durable and before its offsets are committed: the worst moment
to die. Only the fault suite passes one (to kill the process there on purpose)."""

_log = logging.getLogger("kapaudit.recorder")


async def _raw_records(message: StreamMessage[Any]) -> Any:
    # The recorder validates the bytes itself: FastStream's JSON decoding would
    # fail (or "fix") exactly the malformed messages the DLQ must keep verbatim.
    return message.raw_message


def register_recorder(
    broker: KafkaBroker,
    *,
    recorder: Recorder,
    group_id: str,
    batch_size: int,
    batch_timeout_ms: int,
    retry_delay_s: float = 1.0,
    after_commit: AfterCommit | None = None,
    metrics: Metrics = NO_METRICS,
) -> None:
    """Subscribe the recorder to the event and access topics in ``group_id``.

    One subscriber for both: a batch may mix them, and is stored in one transaction
    and committed (both topics' offsets) only after it, as with one topic. Which types
    may arrive on which topic is the recorder's check (``wrong_topic``).
    """

    @broker.subscriber(
        TOPIC,
        ACCESS_TOPIC,
        group_id=group_id,
        batch=True,
        max_records=batch_size,
        batch_timeout_ms=batch_timeout_ms,
        auto_offset_reset="earliest",
        # MANUAL: the offsets are committed by msg.ack() below, only after the
        # database transaction holding the batch has committed.
        ack_policy=AckPolicy.MANUAL,
        decoder=_raw_records,
        title="kapaudit-recorder",
        description=(
            "Records every event of both topics once in the append-only, hash-chained log; "
            "access.recorded is accepted only from kap.access-events.v1, every other type "
            "only from kap.session-events.v1 (else rejected as wrong_topic)."
        ),
    )
    async def record_session_events(body: Any, msg: KafkaMessage) -> None:
        incoming = [
            IncomingMessage(
                value=record.value,
                key=record.key,
                coordinates=KafkaCoordinates(
                    topic=record.topic, partition=record.partition, offset=record.offset
                ),
            )
            for record in msg.raw_message
        ]
        if not incoming:
            return
        try:
            outcome = await recorder.record_batch(incoming)
        except Exception:
            # Rewind to the batch's first offsets so nothing after it is committed
            # before it is stored; the pause keeps a down database from spinning us.
            _log.exception("batch of %d not recorded; it will be retried", len(incoming))
            _report_lag(metrics, msg, incoming, consumed=False)
            await msg.nack()
            await asyncio.sleep(retry_delay_s)
            return
        if after_commit is not None:
            await after_commit(outcome)
        await msg.ack()
        _report_lag(metrics, msg, incoming, consumed=True)
        _log.info(
            "recorded %d, duplicates %d, rejected %d",
            len(outcome.recorded),
            len(outcome.duplicates),
            len(outcome.rejections),
            # For the JSON lines (services.json_logs): which events, never their content.
            extra={
                "recorded": len(outcome.recorded),
                "duplicates": len(outcome.duplicates),
                "rejected": len(outcome.rejections),
                "event_ids": outcome.recorded,
            },
        )


def _report_lag(
    metrics: Metrics, msg: KafkaMessage, incoming: list[IncomingMessage], *, consumed: bool
) -> None:
    """Per partition of the batch: the broker's high watermark less the next offset to
    read (after the batch if it was stored, else from its start, as ``nack`` rewinds).
    Partitions with nothing new keep their last figure, which was exact when set."""
    highwater = getattr(msg.consumer, "highwater", None)
    if highwater is None:  # FastStream's test client has no fetcher state
        return
    next_offsets: dict[tuple[str, int], int] = {}
    for message in incoming:
        where = (message.coordinates.topic, message.coordinates.partition)
        offset = message.coordinates.offset + 1 if consumed else message.coordinates.offset
        next_offsets[where] = (
            max(offset, next_offsets.get(where, offset))
            if consumed
            else min(offset, next_offsets.get(where, offset))
        )
    for (topic, partition), next_offset in next_offsets.items():
        end = highwater(TopicPartition(topic, partition))
        if end is not None:
            metrics.consumer_lag(
                topic=topic, partition=partition, messages=max(0, end - next_offset)
            )
