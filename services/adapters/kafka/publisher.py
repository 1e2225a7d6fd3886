"""The publishing helper for clinic services written in Python."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from types import TracebackType

from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity

from events import TOPIC, canonical_json, partition_key
from services.adapters.kafka.broker import make_broker
from services.publishing import Publishable, checked_event

__all__ = ["EventPublisher", "TopicLister", "TopicMissingError"]

_HEADERS = {"content-type": "application/json"}
_IN_FLIGHT = 1000

TopicLister = Callable[[], Awaitable[Iterable[str]]]
"""Asks the broker afresh which topics it has."""


class TopicMissingError(RuntimeError):
    """The broker has no such topic: a publish to it would not be kept."""

    def __init__(self, topic: str) -> None:
        super().__init__(
            f"topic {topic!r} does not exist on the broker; create it (kapaudit creates its "
            "topics when it starts) before publishing"
        )
        self.topic = topic


class EventPublisher:
    """``services.publishing.Publisher`` on Kafka: publishes contract-valid events to
    ``kap.session-events.v1`` and waits for the acks.

    Events are validated before they leave, so a clinic service learns about a
    bad event from an exception here instead of from the dead-letter topic. That
    includes the topic: ``access.recorded`` goes only to ``kap.access-events.v1``,
    and only when the caller names that topic (kapaudit's access auditor does).
    """

    def __init__(
        self,
        *,
        bootstrap_servers: str | None = None,
        broker: KafkaBroker | None = None,
        idempotent: bool = False,
        security: BaseSecurity | None = None,
        list_topics: TopicLister | None = None,
    ) -> None:
        """Publish through ``broker``, or through a broker of its own on ``bootstrap_servers``
        (with ``security``: TLS, SASL; see ``services.adapters.kafka.kafka_security``).
        ``list_topics`` defaults to asking the broker's admin client."""
        if (bootstrap_servers is None) == (broker is None):
            raise ValueError("give either bootstrap_servers or broker")
        self._owns_broker = broker is None
        self._broker = broker or make_broker(
            bootstrap_servers=str(bootstrap_servers), idempotent=idempotent, security=security
        )
        self._list_topics = list_topics or self._broker_topics
        self._doubted: set[str] = set()
        self._checking = asyncio.Lock()

    async def __aenter__(self) -> EventPublisher:
        if self._owns_broker:
            await self._broker.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._owns_broker:
            await self._broker.stop()

    async def publish(self, event: Publishable, *, topic: str = TOPIC) -> None:
        """Publish one event; returns once the broker acknowledged it.

        Raises ``EventRejected`` (``wrong_topic``) for an event that does not travel on
        ``topic``, as the recorder would reject it.
        """
        checked = checked_event(event, topic=topic)
        if topic in self._doubted:
            await self._confirm_topic(topic)
        try:
            await self._broker.publish(
                canonical_json(checked),
                topic=topic,
                key=partition_key(checked),
                headers=_HEADERS,
            )
        except BaseException:
            # A send that was not acknowledged (or was abandoned) may mean the broker went
            # away; the one that answers next may have lost its topics.
            self._doubted.add(topic)
            raise

    async def publish_many(self, events: Iterable[Publishable], *, topic: str = TOPIC) -> int:
        """Publish several events concurrently; returns once every one is acknowledged.

        Every event is checked before any is sent.
        """
        checked = [checked_event(event, topic=topic) for event in events]
        # A bounded number in flight: tens of thousands at once pile up in the producer's
        # buffer until the oldest time out before the broker has seen them.
        for start in range(0, len(checked), _IN_FLIGHT):
            await asyncio.gather(
                *(self.publish(event, topic=topic) for event in checked[start : start + _IN_FLIGHT])
            )
        return len(checked)

    async def _confirm_topic(self, topic: str) -> None:
        """Raise ``TopicMissingError`` unless the broker has ``topic``, which a publish to it
        failed since it was last confirmed.

        A producer keeps the partitions it learnt before a broker restart. The embedded
        Tansu broker, which restarts empty, acknowledges sends to a topic it no longer has
        and keeps none of them: an API answering 202 on those acknowledgements loses the
        events. Apache Kafka keeps its topics, so this costs it one metadata request after
        an outage.
        """
        async with self._checking:
            if topic not in self._doubted:
                return
            if topic not in set(await self._list_topics()):
                raise TopicMissingError(topic)
            self._doubted.discard(topic)

    async def _broker_topics(self) -> Iterable[str]:
        topics: list[str] = await self._broker.config.admin_client.list_topics()
        return topics
