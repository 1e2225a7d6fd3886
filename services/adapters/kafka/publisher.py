"""The publishing helper for clinic services written in Python."""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Iterable
from types import TracebackType

from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity

from events import TOPIC, canonical_json, partition_key
from services.adapters.kafka.broker import make_broker
from services.adapters.kafka.topic_doubts import TopicDoubts, TopicLister
from services.publishing import Publishable, checked_event

__all__ = ["EventPublisher"]

_HEADERS = {"content-type": "application/json"}
_IN_FLIGHT = 1000

_DOUBTS: weakref.WeakKeyDictionary[KafkaBroker, TopicDoubts] = weakref.WeakKeyDictionary()
"""One record of doubted topics per broker, whichever publisher saw the failure."""


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
        After a send to a topic fails, the next send to it first checks that the broker
        still has it (``topic_doubts``); ``list_topics`` is how, by default the broker's
        admin client."""
        if (bootstrap_servers is None) == (broker is None):
            raise ValueError("give either bootstrap_servers or broker")
        self._owns_broker = broker is None
        self._broker = broker or make_broker(
            bootstrap_servers=str(bootstrap_servers), idempotent=idempotent, security=security
        )
        self._list_topics = list_topics
        self._doubt_record: TopicDoubts | None = None

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

    @property
    def _doubts(self) -> TopicDoubts:
        """This publisher's record of doubted topics: its own with ``list_topics``, else
        the one of its broker (made on first use, as a publisher need not publish)."""
        if self._doubt_record is None:
            if self._list_topics is not None:
                self._doubt_record = TopicDoubts(list_topics=self._list_topics)
            else:
                shared = _DOUBTS.get(self._broker)
                if shared is None:
                    shared = TopicDoubts(list_topics=_admin_topics(self._broker))
                    _DOUBTS[self._broker] = shared
                self._doubt_record = shared
        return self._doubt_record

    async def publish(self, event: Publishable, *, topic: str = TOPIC) -> None:
        """Publish one event; returns once the broker acknowledged it.

        Raises ``EventRejected`` (``wrong_topic``) for an event that does not travel on
        ``topic``, as the recorder would reject it.
        """
        checked = checked_event(event, topic=topic)
        await self._doubts.confirm(topic)
        try:
            await self._broker.publish(
                canonical_json(checked),
                topic=topic,
                key=partition_key(checked),
                headers=_HEADERS,
            )
        except BaseException:
            self._doubts.doubt(topic)
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


def _admin_topics(broker: KafkaBroker) -> TopicLister:
    """The topics as ``broker``'s admin client lists them. The broker is held weakly: its
    record of doubts outlives no broker."""
    held = weakref.ref(broker)

    async def list_topics() -> Iterable[str]:
        alive = held()
        if alive is None:
            raise RuntimeError("the broker was closed")
        topics: list[str] = await alive.config.admin_client.list_topics()
        return topics

    return list_topics
