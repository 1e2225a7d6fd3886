"""Topics a broker may have lost: doubted after a failed send, confirmed before the next.

A producer keeps the partitions it learnt before a broker restart. The embedded Tansu
broker, which restarts empty, acknowledges sends to a topic it no longer has and keeps
none of them: an API answering 202 on those acknowledgements loses the events. Apache
Kafka keeps its topics, so against it a check costs one metadata request after an outage.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Iterable

__all__ = ["TopicDoubts", "TopicLister", "TopicMissingError"]

TopicLister = Callable[[], Awaitable[Iterable[str]]]
"""Asks the broker afresh which topics it has."""


class TopicMissingError(RuntimeError):
    """The broker has no such topic: a publish to it would not be kept."""

    def __init__(self, topic: str) -> None:
        super().__init__(
            f"topic {topic!r} does not exist on the broker; create it with `kapaudit topics "
            "create` (kapaudit also creates its topics when it starts) before publishing"
        )
        self.topic = topic


class TopicDoubts:
    """Which topics a send failed on since the broker last showed them, for every
    publisher on one broker: a failure one of them saw makes all of them check."""

    def __init__(self, *, list_topics: TopicLister) -> None:
        self._list_topics = list_topics
        self._doubted: dict[str, int] = {}
        """Topic -> the number of the failure that put it in doubt."""
        self._failures = itertools.count(1)
        self._checks = 0
        """Checks answered so far."""
        self._refused: dict[str, tuple[int, int, Exception]] = {}
        """Topic -> (the doubt, the check, the error) of its last failed check."""
        self._checking = asyncio.Lock()

    def doubt(self, topic: str) -> None:
        """A send to ``topic`` failed or was abandoned: the broker may have gone away,
        and the one that answers next may have lost its topics."""
        self._doubted[topic] = next(self._failures)

    async def confirm(self, topic: str) -> None:
        """Return at once unless ``topic`` is in doubt; else ask the broker, and raise
        ``TopicMissingError`` (or the broker's error) unless it has the topic."""
        if topic not in self._doubted:
            return
        checks_before = self._checks
        async with self._checking:
            doubt = self._doubted.get(topic)
            if doubt is None:
                return
            refused = self._refused.get(topic)
            if refused is not None and refused[0] == doubt and refused[1] > checks_before:
                # Asked while this caller waited, about the same doubt: a batch's publishes
                # share one answer instead of asking one after another.
                raise refused[2]
            try:
                error: Exception | None = (
                    None if topic in set(await self._list_topics()) else TopicMissingError(topic)
                )
            except Exception as failure:
                error = failure
            self._checks += 1  # counted once answered: callers waiting since get this answer
            if error is not None:
                self._refused[topic] = (doubt, self._checks, error)
                raise error
            self._refused.pop(topic, None)
            if self._doubted.get(topic) == doubt:
                # Unless a send failed again while the broker was asked.
                del self._doubted[topic]
