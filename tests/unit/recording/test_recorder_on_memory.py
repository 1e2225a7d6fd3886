"""The recorder over the memory ports: a redelivered batch has one effect on the log,
while its dead letters go out again (the topic is at least once)."""

from __future__ import annotations

from datetime import UTC, datetime

from events import TOPIC, RejectionReason
from services.adapters.memory import InMemoryDeadLetterSink, InMemoryEventStore
from services.clock import FixedClock
from services.recording import IncomingMessage, KafkaCoordinates, Recorder
from services.verification import verify_store
from tests.factories import document, encode, session_documents

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _message(value: bytes, offset: int) -> IncomingMessage:
    return IncomingMessage(
        value=value, key=None, coordinates=KafkaCoordinates(topic=TOPIC, partition=0, offset=offset)
    )


async def test_a_redelivered_batch_is_recorded_once_and_dead_lettered_again() -> None:
    store, sink = InMemoryEventStore(), InMemoryDeadLetterSink()
    recorder = Recorder(store=store, dead_letters=sink, clock=FixedClock(at=NOW))
    docs = session_documents("s-1", 2, start=NOW)
    batch = [
        _message(encode(docs[0]), 0),
        _message(b"not json", 1),
        _message(encode(document("access.recorded", patient_id="pt-1")), 2),
        _message(encode(docs[1]), 3),
    ]

    first = await recorder.record_batch(batch)
    again = await recorder.record_batch(batch)

    assert first.recorded == [d["event_id"] for d in docs]
    assert [r.reason for r in first.rejections] == [
        RejectionReason.INVALID_JSON,
        RejectionReason.WRONG_TOPIC,
    ]
    assert (again.recorded, again.duplicates) == ([], [d["event_id"] for d in docs])
    assert await store.count() == 2
    assert [r.coordinates.offset for r in await store.rejections()] == [1, 2]
    assert [r.coordinates.offset for r in sink.sent] == [1, 2, 1, 2]
    assert (await verify_store(store)).intact
