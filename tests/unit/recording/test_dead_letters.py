"""Dead letters always fit in a Kafka message, and a failed one never holds up recording."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from aiokafka.errors import MessageSizeTooLargeError

from events import FieldError, RejectionReason
from services.adapters.kafka.dead_letters import (
    DEAD_LETTER_MAX_BYTES,
    KafkaDeadLetterSink,
    dead_letter,
)
from services.adapters.memory import InMemoryEventStore
from services.clock import FixedClock
from services.recording import (
    IncomingMessage,
    KafkaCoordinates,
    Recorder,
    Rejection,
)

_WHERE = KafkaCoordinates(topic="kap.session-events.v1", partition=3, offset=41)


def _rejection(raw: bytes, *, errors: int = 1, key: bytes | None = b"s-1") -> Rejection:
    return Rejection(
        raw=raw,
        key=key,
        reason=RejectionReason.TOO_LARGE,
        errors=tuple(FieldError(path=f"payload.f{i}", message="too big") for i in range(errors)),
        coordinates=_WHERE,
    )


def _size(letter_value: bytes, key: bytes | None, headers: dict[str, str]) -> int:
    return len(letter_value) + len(key or b"") + sum(len(k) + len(v) for k, v in headers.items())


def test_a_dead_letter_that_fits_carries_the_original_bytes_and_their_digest() -> None:
    raw = b'{"not": "an event"}'
    letter = dead_letter(_rejection(raw))
    assert letter.value == raw
    assert letter.headers["kapaudit-payload"] == "original"
    assert letter.headers["kapaudit-original-bytes"] == str(len(raw))
    assert letter.headers["kapaudit-original-sha256"] == hashlib.sha256(raw).hexdigest()


def test_an_original_too_big_to_travel_is_cut_to_a_prefix_and_the_headers_say_so() -> None:
    raw = b"x" * 1_048_400
    letter = dead_letter(_rejection(raw))
    assert letter.headers["kapaudit-payload"] == "truncated"
    assert raw.startswith(letter.value)
    assert 0 < len(letter.value) < len(raw)
    assert letter.headers["kapaudit-original-bytes"] == "1048400"
    assert letter.headers["kapaudit-original-sha256"] == hashlib.sha256(raw).hexdigest()
    assert _size(letter.value, letter.key, letter.headers) <= DEAD_LETTER_MAX_BYTES


def test_thousands_of_field_errors_and_a_huge_key_still_fit_in_one_dead_letter() -> None:
    rejection = _rejection(b"{}", errors=50_000, key=b"k" * 500_000)
    letter = dead_letter(rejection)
    errors = json.loads(letter.headers["kapaudit-errors"])
    assert errors[-1]["message"].endswith("more errors not shown")
    assert len(errors) < 50_000
    assert letter.key == hashlib.sha256(b"k" * 500_000).hexdigest().encode()
    assert letter.headers["kapaudit-key"] == "sha256"
    assert _size(letter.value, letter.key, letter.headers) <= DEAD_LETTER_MAX_BYTES


class _SinkFailing:
    def __init__(self, *, failures: int) -> None:
        self.failures = failures
        self.attempts = 0

    async def send(self, rejection: Rejection) -> None:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise RuntimeError("MessageSizeTooLargeError")


def _recorder(sink: _SinkFailing) -> Recorder:
    return Recorder(
        store=InMemoryEventStore(),
        dead_letters=sink,
        clock=FixedClock(at=datetime(2026, 12, 3, tzinfo=UTC)),
        dead_letter_retry_delays_s=(0, 0),
    )


_BAD = [IncomingMessage(value=b"not json", key=None, coordinates=_WHERE)]


async def test_a_dead_letter_that_cannot_be_delivered_is_counted_as_failed_not_retried_forever(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = _SinkFailing(failures=10**9)
    recorder = _recorder(sink)
    outcome = await recorder.record_batch(_BAD)
    assert [r.reason for r in outcome.rejections] == [RejectionReason.INVALID_JSON]
    assert sink.attempts == 3
    assert recorder.metrics.dead_letters_failed == 1
    assert recorder.metrics.dead_letters_sent == 0
    assert "not delivered after 3 attempts" in caplog.text
    assert "kap.session-events.v1/3@41" in caplog.text


async def test_a_dead_letter_that_fails_once_is_delivered_on_the_next_attempt() -> None:
    sink = _SinkFailing(failures=1)
    recorder = _recorder(sink)
    await recorder.record_batch(_BAD)
    assert sink.attempts == 2
    assert recorder.metrics.dead_letters_sent == 1
    assert recorder.metrics.dead_letters_failed == 0


class _BrokerWithALowerLimit:
    """Refuses any message with a value, as a broker configured below our budget would."""

    def __init__(self) -> None:
        self.published: list[tuple[bytes, dict[str, str]]] = []

    async def publish(
        self, value: bytes, *, topic: str, key: bytes | None, headers: dict[str, str]
    ) -> None:
        if value:
            raise MessageSizeTooLargeError("over the broker's message.max.bytes")
        self.published.append((value, headers))


async def test_a_broker_that_refuses_the_size_gets_the_letter_without_its_payload() -> None:
    broker = _BrokerWithALowerLimit()
    sink = KafkaDeadLetterSink(broker=broker)  # type: ignore[arg-type]
    raw = b'{"pad": "' + b"x" * 500_000 + b'"}'

    await sink.send(_rejection(raw))

    [(value, headers)] = broker.published
    assert value == b""
    assert headers["kapaudit-payload"] == "omitted"
    assert headers["kapaudit-original-sha256"] == hashlib.sha256(raw).hexdigest()
