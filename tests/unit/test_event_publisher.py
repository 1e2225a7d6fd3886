"""The publishing helper sends each event to its own topic, and refuses before sending
an event that does not travel on the topic asked for."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest

from events import ACCESS_TOPIC, TOPIC, EventRejected, RejectionReason
from services.adapters.kafka import EventPublisher, TopicMissingError
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


class _FlakyBroker(_Broker):
    """Refuses the next ``failures`` sends, as a broker going away does."""

    def __init__(self, *, failures: int) -> None:
        super().__init__()
        self.failures = failures

    async def publish(self, body: bytes, *, topic: str, key: bytes, **_: Any) -> None:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("broker went away")
        await super().publish(body, topic=topic, key=key)


class _Topics:
    def __init__(self, *names: str) -> None:
        self.names = list(names)
        self.asked = 0

    async def __call__(self) -> list[str]:
        self.asked += 1
        await asyncio.sleep(0)  # as a request to the broker, letting other publishes queue
        return self.names


def _flaky_publisher(*, failures: int, topics: _Topics) -> tuple[EventPublisher, _FlakyBroker]:
    broker = _FlakyBroker(failures=failures)
    return EventPublisher(broker=broker, list_topics=topics), broker  # type: ignore[arg-type]


async def test_a_healthy_publisher_never_asks_the_broker_for_its_topics() -> None:
    topics = _Topics(TOPIC)
    publisher, broker = _flaky_publisher(failures=0, topics=topics)
    await publisher.publish_many([document("vitals.recorded") for _ in range(5)])
    assert len(broker.sent) == 5
    assert topics.asked == 0


async def test_after_a_failed_send_an_event_is_refused_while_its_topic_is_gone() -> None:
    topics = _Topics(ACCESS_TOPIC)
    publisher, broker = _flaky_publisher(failures=1, topics=topics)
    with pytest.raises(ConnectionError):
        await publisher.publish(document("vitals.recorded"))
    with pytest.raises(TopicMissingError) as caught:
        await publisher.publish(document("vitals.recorded"))
    assert caught.value.topic == TOPIC
    assert TOPIC in str(caught.value)
    assert broker.sent == []


async def test_once_the_topic_is_back_it_is_confirmed_once_and_sends_resume() -> None:
    topics = _Topics()
    publisher, broker = _flaky_publisher(failures=1, topics=topics)
    with pytest.raises(ConnectionError):
        await publisher.publish(document("vitals.recorded"))
    with pytest.raises(TopicMissingError):
        await publisher.publish(document("vitals.recorded"))
    topics.names.append(TOPIC)
    await publisher.publish_many([document("vitals.recorded") for _ in range(3)])
    assert len(broker.sent) == 3
    assert topics.asked == 2


async def test_a_batch_sent_while_its_topic_is_gone_asks_the_broker_once() -> None:
    topics = _Topics()
    publisher, broker = _flaky_publisher(failures=1, topics=topics)
    with pytest.raises(ConnectionError):
        await publisher.publish(document("vitals.recorded"))
    with pytest.raises(TopicMissingError):
        await publisher.publish_many([document("vitals.recorded") for _ in range(50)])
    assert topics.asked == 1
    assert broker.sent == []
    # The client's retry asks again: a refusal is not remembered beyond the waiters.
    topics.names.append(TOPIC)
    await publisher.publish(document("vitals.recorded"))
    assert topics.asked == 2
    assert len(broker.sent) == 1


async def test_an_abandoned_send_puts_its_topic_in_doubt() -> None:
    class _Unanswering(_Broker):
        async def publish(self, body: bytes, *, topic: str, key: bytes, **_: Any) -> None:
            await asyncio.Event().wait()

    topics = _Topics()
    publisher = EventPublisher(broker=_Unanswering(), list_topics=topics)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await publisher.publish(document("vitals.recorded"))
    with pytest.raises(TopicMissingError):
        await publisher.publish(document("vitals.recorded"))


class _AdminBroker(_FlakyBroker):
    """A broker with an admin client, as FastStream's ``KafkaBroker.config`` has."""

    def __init__(self, *, failures: int, topics: _Topics) -> None:
        super().__init__(failures=failures)
        self.config = SimpleNamespace(admin_client=SimpleNamespace(list_topics=topics))


async def test_publishers_on_one_broker_share_what_one_of_them_saw_fail() -> None:
    topics = _Topics()
    broker = _AdminBroker(failures=1, topics=topics)
    http = EventPublisher(broker=broker)  # type: ignore[arg-type]
    auditor = EventPublisher(broker=broker)  # type: ignore[arg-type]
    with pytest.raises(ConnectionError):
        await http.publish(document("vitals.recorded"))
    with pytest.raises(TopicMissingError):
        await auditor.publish(document("vitals.recorded"))
    assert topics.asked == 1
    assert broker.sent == []


async def test_a_send_failing_while_the_broker_is_asked_keeps_the_topic_in_doubt() -> None:
    topics = _Topics(TOPIC)
    publisher, broker = _flaky_publisher(failures=1, topics=topics)
    with pytest.raises(ConnectionError):
        await publisher.publish(document("vitals.recorded"))
    doubts = publisher._doubts
    original = topics.__call__

    async def listing_while_a_send_fails() -> list[str]:
        doubts.doubt(TOPIC)
        return await original()

    doubts._list_topics = listing_while_a_send_fails
    await publisher.publish(document("vitals.recorded"))
    await publisher.publish(document("vitals.recorded"))
    assert topics.asked == 2, "the second send checked again: a newer failure came in"
    assert len(broker.sent) == 2
