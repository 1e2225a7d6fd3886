"""A publisher whose broker restarted empty (the embedded Tansu keeps nothing) never has
a send acknowledged that the broker did not keep."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from events import TOPIC
from services.adapters.kafka import EventPublisher, TopicMissingError, ensure_topics
from services.adapters.tansu import EmbeddedBroker
from tests.factories import document

pytestmark = pytest.mark.broker


async def _kept_event_ids(bootstrap_servers: str, *, wanted: set[str]) -> set[str]:
    """The event ids on the topic, read until ``wanted`` are all there or 20 s pass."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers)
    await consumer.start()
    try:
        # Four, as ensure_topics below and Tansu's own default both make them.
        partitions = [TopicPartition(TOPIC, p) for p in range(4)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        kept: set[str] = set()
        deadline = asyncio.get_running_loop().time() + 20
        while not wanted <= kept and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            kept.update(
                json.loads(record.value)["event_id"]
                for records in batches.values()
                for record in records
                if record.value is not None
            )
        return kept
    finally:
        await consumer.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_after_the_broker_restarts_empty_an_acknowledged_event_is_one_it_kept() -> None:
    # A port of its own, kept across the restart as a restarted broker keeps its address.
    broker = EmbeddedBroker(port=_free_port())
    await broker.start()
    try:
        await ensure_topics(bootstrap_servers=broker.bootstrap_servers, partitions=4)
        async with EventPublisher(bootstrap_servers=broker.bootstrap_servers) as publisher:
            await publisher.publish(document("vitals.recorded", session_id="s-before"))
            await broker.stop()
            with pytest.raises((TimeoutError, KafkaError)):
                async with asyncio.timeout(3):
                    await publisher.publish(document("vitals.recorded", session_id="s-down"))
            await broker.start()
            after = [document("vitals.recorded", session_id=f"s-{i}") for i in range(20)]
            acknowledged: list[str] = []
            for event in after:
                # A client's loop: a refused send is sent again after a pause.
                for _ in range(40):
                    try:
                        await publisher.publish(event)
                    except TopicMissingError:
                        # The operator's part: the topics come back.
                        with contextlib.suppress(KafkaError):
                            await ensure_topics(
                                bootstrap_servers=broker.bootstrap_servers, partitions=4
                            )
                    except Exception:  # the broker is still coming back
                        await asyncio.sleep(0.25)
                    else:
                        acknowledged.append(str(event["event_id"]))
                        break
            kept = await _kept_event_ids(broker.bootstrap_servers, wanted=set(acknowledged))
    finally:
        await broker.stop()
    assert len(acknowledged) == len(after), "sends did not resume once the topics were back"
    assert set(acknowledged) <= kept, f"{len(set(acknowledged) - kept)} acknowledged, not kept"
