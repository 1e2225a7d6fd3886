"""The publisher's contract, on memory and on Kafka (``EventPublisher`` over a broker
stand-in that keeps what it is handed): each event goes to the topic asked for, every
event of a call is checked before any is sent, and a refused call sends nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from events import ACCESS_TOPIC, TOPIC, EventRejected, RejectionReason, canonical_json, parse_event
from services.adapters.kafka import EventPublisher
from services.adapters.memory import InMemoryPublisher
from services.publishing import Publisher
from tests.factories import document

Sent = Callable[[], list[tuple[str, str]]]
"""(topic, event id) of everything the publisher sent, in order."""


class _Broker:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes]] = []

    async def publish(self, body: bytes, *, topic: str, **_: Any) -> None:
        self.sent.append((topic, body))


@pytest.fixture(params=["memory", "kafka"])
def publisher(request: pytest.FixtureRequest) -> tuple[Publisher, Sent]:
    if request.param == "memory":
        memory = InMemoryPublisher()
        return memory, lambda: [(topic, str(event.event_id)) for topic, event in memory.sent]
    broker = _Broker()
    kafka = EventPublisher(broker=broker)  # type: ignore[arg-type]
    return kafka, lambda: [(topic, json.loads(body)["event_id"]) for topic, body in broker.sent]


async def test_clinical_events_go_to_the_clinics_topic_by_default(
    publisher: tuple[Publisher, Sent],
) -> None:
    port, sent = publisher
    docs = [document("vitals.recorded", session_id="s-1"), document("session.started")]
    assert await port.publish_many(docs) == 2
    assert sorted(sent()) == sorted((TOPIC, d["event_id"]) for d in docs)


async def test_an_event_is_accepted_as_a_model_a_json_object_or_its_bytes(
    publisher: tuple[Publisher, Sent],
) -> None:
    port, sent = publisher
    as_dict, as_model, as_bytes = (document("vitals.recorded") for _ in range(3))
    await port.publish(as_dict)
    await port.publish(parse_event(json.dumps(as_model).encode()))
    await port.publish(canonical_json(parse_event(json.dumps(as_bytes).encode())))
    assert sent() == [(TOPIC, d["event_id"]) for d in (as_dict, as_model, as_bytes)]


async def test_reads_go_to_the_access_topic_when_asked_for(
    publisher: tuple[Publisher, Sent],
) -> None:
    port, sent = publisher
    look = document("access.recorded", patient_id="pt-1")
    await port.publish(look, topic=ACCESS_TOPIC)
    assert sent() == [(ACCESS_TOPIC, look["event_id"])]


async def test_a_read_for_the_clinics_topic_is_refused_and_nothing_of_the_call_is_sent(
    publisher: tuple[Publisher, Sent],
) -> None:
    port, sent = publisher
    with pytest.raises(EventRejected) as caught:
        await port.publish_many([document("vitals.recorded"), document("access.recorded")])
    assert caught.value.reason is RejectionReason.WRONG_TOPIC
    assert [error.path for error in caught.value.errors] == ["event_type"]
    assert sent() == []


async def test_a_clinical_event_for_the_access_topic_is_refused(
    publisher: tuple[Publisher, Sent],
) -> None:
    port, sent = publisher
    with pytest.raises(EventRejected) as caught:
        await port.publish(document("dose.administered"), topic=ACCESS_TOPIC)
    assert caught.value.reason is RejectionReason.WRONG_TOPIC
    assert sent() == []


async def test_an_invalid_event_is_refused_before_anything_is_sent(
    publisher: tuple[Publisher, Sent],
) -> None:
    port, sent = publisher
    broken = {**document("vitals.recorded"), "clinic_id": ""}
    with pytest.raises(EventRejected):
        await port.publish_many([document("vitals.recorded"), broken])
    assert sent() == []
