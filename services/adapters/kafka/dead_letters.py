"""Dead letters: the original bytes plus the reason, on ``kap.session-events.dlq.v1``.

A dead letter must always fit in one Kafka message, whatever was rejected: a
1 MiB original plus its headers is over aiokafka's default ``max_request_size``
(and Apache Kafka's default ``message.max.bytes``), and a dead letter that can
never be produced must not hold up the partition it came from. So an original
too big to travel is cut to a prefix, the error list is capped, and the headers
say what was cut together with the original's size and SHA-256 (the full bytes
stay in ``rejected_events``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Final

from aiokafka.errors import MessageSizeTooLargeError
from faststream.kafka import KafkaBroker

from events import DLQ_TOPIC
from services.recording import Rejection

__all__ = [
    "DEAD_LETTER_MAX_BYTES",
    "DeadLetter",
    "KafkaDeadLetterSink",
    "dead_letter",
    "dead_letter_headers",
]

DEAD_LETTER_MAX_BYTES: Final = 900 * 1024
"""The most a dead letter's value, key and headers may take together: below the 1 MiB
that both aiokafka's producer and Apache Kafka's broker accept by default, with room
for the record's own framing."""

KEPT_PREFIX_BYTES: Final = 64 * 1024
"""How much of an original too big to travel is kept, enough to identify it."""

MAX_ERRORS_HEADER_BYTES: Final = 16 * 1024
"""The most the error list header may take; a message with thousands of bad fields
would otherwise make the headers alone too big."""

MAX_KEY_BYTES: Final = 1024
"""A longer key is replaced by its SHA-256 (hex), which still partitions consistently."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DeadLetter:
    """One message for the dead-letter topic, already cut to fit."""

    value: bytes
    key: bytes | None
    headers: dict[str, str]


def dead_letter(rejection: Rejection, *, max_bytes: int = DEAD_LETTER_MAX_BYTES) -> DeadLetter:
    """The dead letter for ``rejection``: the original when it fits in ``max_bytes``,
    else a prefix of it (``kapaudit-payload: truncated``)."""
    headers = dead_letter_headers(rejection)
    key = rejection.key
    if key is not None and len(key) > MAX_KEY_BYTES:
        headers["kapaudit-key"] = "sha256"
        key = hashlib.sha256(key).hexdigest().encode("ascii")
    room = max_bytes - _size(headers) - len(key or b"")
    value = rejection.raw
    if len(value) > room:
        value = value[: max(0, min(KEPT_PREFIX_BYTES, room))]
        headers["kapaudit-payload"] = "truncated"
    return DeadLetter(value=value, key=key, headers=headers)


def dead_letter_headers(rejection: Rejection) -> dict[str, str]:
    """Headers that let a publisher find and fix the message without opening the database."""
    return {
        "kapaudit-reason": rejection.reason.value,
        "kapaudit-errors": _errors_header(rejection),
        "kapaudit-source-topic": rejection.coordinates.topic,
        "kapaudit-source-partition": str(rejection.coordinates.partition),
        "kapaudit-source-offset": str(rejection.coordinates.offset),
        "kapaudit-payload": "original",
        "kapaudit-original-bytes": str(len(rejection.raw)),
        "kapaudit-original-sha256": hashlib.sha256(rejection.raw).hexdigest(),
    }


def _errors_header(rejection: Rejection) -> str:
    errors = [{"path": e.path, "message": e.message} for e in rejection.errors]
    # ASCII escapes: an error path may quote any key the publisher sent, and a
    # rejection must be storable whatever bytes it describes.
    encoded = json.dumps(errors, ensure_ascii=True)
    kept = len(errors)
    while len(encoded) > MAX_ERRORS_HEADER_BYTES and kept > 0:
        kept //= 2
        encoded = json.dumps(
            [
                *errors[:kept],
                {"path": "(root)", "message": f"{len(errors) - kept} more errors not shown"},
            ],
            ensure_ascii=True,
        )
    return encoded


def _size(headers: dict[str, str]) -> int:
    return sum(len(name) + len(value.encode("utf-8")) for name, value in headers.items())


class KafkaDeadLetterSink:
    """Publishes one rejection to the dead-letter topic and waits for the broker's ack."""

    def __init__(self, *, broker: KafkaBroker, max_bytes: int = DEAD_LETTER_MAX_BYTES) -> None:
        self._broker = broker
        self._max_bytes = max_bytes

    async def send(self, rejection: Rejection) -> None:
        letter = dead_letter(rejection, max_bytes=self._max_bytes)
        try:
            await self._publish(letter)
        except MessageSizeTooLargeError:
            # The broker's limit is lower than ours: without the original, the letter
            # is a few kilobytes of headers, which any broker takes.
            await self._publish(
                DeadLetter(
                    value=b"",
                    key=letter.key,
                    headers={**letter.headers, "kapaudit-payload": "omitted"},
                )
            )

    async def _publish(self, letter: DeadLetter) -> None:
        await self._broker.publish(
            letter.value, topic=DLQ_TOPIC, key=letter.key, headers=letter.headers
        )
