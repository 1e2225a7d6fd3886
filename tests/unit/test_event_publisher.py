"""The publishing helper sends each event to its own topic, and refuses before sending
an event that does not travel on the topic asked for."""

from __future__ import annotations

from typing import Any

import pytest

from events import ACCESS_TOPIC, TOPIC, EventRejected, RejectionReason
from services.adapters.kafka import EventPublisher
from tests.factories import document


class _Broker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def publish(self, body: bytes, *, topic: str, key: bytes, **_: Any) -> None:
        self.sent.append((topic, key))


def _publisher() -> tuple[EventPublisher, _Broker]:
    broker = _Broker()
    return EventPublisher(broker=broker), broker  # type: ignore[arg-type]


async def test_clinical_events_go_to_the_clinics_topic_by_default() -> None:
    publisher, broker = _publisher()
    await publisher.publish_many([document("vitals.recorded", session_id="s-1")])
    assert broker.sent == [(TOPIC, b"s-1")]


async def test_reads_go_to_the_access_topic_keyed_by_patient_when_asked_for() -> None:
    publisher, broker = _publisher()
    await publisher.publish(document("access.recorded", patient_id="pt-1"), topic=ACCESS_TOPIC)
    assert broker.sent == [(ACCESS_TOPIC, b"pt-1")]


async def test_a_read_for_the_clinics_topic_is_refused_and_nothing_of_the_batch_is_sent() -> None:
    publisher, broker = _publisher()
    with pytest.raises(EventRejected) as caught:
        await publisher.publish_many([document("vitals.recorded"), document("access.recorded")])
    assert caught.value.reason is RejectionReason.WRONG_TOPIC
    assert [error.path for error in caught.value.errors] == ["event_type"]
    assert broker.sent == []


async def test_a_clinical_event_for_the_access_topic_is_refused() -> None:
    publisher, broker = _publisher()
    with pytest.raises(EventRejected) as caught:
        await publisher.publish(document("dose.administered"), topic=ACCESS_TOPIC)
    assert caught.value.reason is RejectionReason.WRONG_TOPIC
    assert broker.sent == []
