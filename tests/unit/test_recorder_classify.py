"""The recorder's classification: each event type is accepted only from its own topic."""

from __future__ import annotations

from events import ACCESS_TOPIC, TOPIC, RejectionReason
from services.recording import IncomingMessage, KafkaCoordinates, classify
from tests.factories import document, encode


def _message(doc: dict[str, object], *, topic: str, offset: int) -> IncomingMessage:
    return IncomingMessage(
        value=encode(doc),
        key=b"k",
        coordinates=KafkaCoordinates(topic=topic, partition=0, offset=offset),
    )


def test_a_read_from_the_clinics_topic_is_rejected_with_its_bytes_key_and_coordinates() -> None:
    before, forged, after = (
        document("session.started"),
        document("access.recorded"),
        document("session.ended"),
    )
    valid, invalid = classify(
        [
            _message(before, topic=TOPIC, offset=1),
            _message(forged, topic=TOPIC, offset=2),
            _message(after, topic=TOPIC, offset=3),
        ]
    )
    assert [str(item.event.event_id) for item in valid] == [before["event_id"], after["event_id"]]
    [rejection] = invalid
    assert rejection.reason is RejectionReason.WRONG_TOPIC
    assert [error.path for error in rejection.errors] == ["event_type"]
    assert (rejection.raw, rejection.key) == (encode(forged), b"k")
    assert rejection.coordinates == KafkaCoordinates(topic=TOPIC, partition=0, offset=2)
    assert rejection.event_id == forged["event_id"]


def test_only_reads_are_accepted_from_the_access_topic() -> None:
    read, vitals = document("access.recorded"), document("vitals.recorded")
    valid, invalid = classify(
        [
            _message(read, topic=ACCESS_TOPIC, offset=1),
            _message(vitals, topic=ACCESS_TOPIC, offset=2),
        ]
    )
    assert [str(item.event.event_id) for item in valid] == [read["event_id"]]
    assert [(r.reason, r.event_id) for r in invalid] == [
        (RejectionReason.WRONG_TOPIC, vitals["event_id"])
    ]


def test_an_invalid_read_on_the_clinics_topic_is_rejected_for_what_is_wrong_with_it() -> None:
    bad = document("access.recorded", payload={"outcome": "maybe"})
    _, [rejection] = classify([_message(bad, topic=TOPIC, offset=1)])
    assert rejection.reason is RejectionReason.SCHEMA_VIOLATION
