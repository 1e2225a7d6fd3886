"""Publishing into a list: the same checks as the Kafka publisher, nothing sent."""

from __future__ import annotations

from collections.abc import Iterable

from events import TOPIC, SessionEvent
from services.publishing import Publishable, checked_event

__all__ = ["InMemoryPublisher"]


class InMemoryPublisher:
    """``services.publishing.Publisher`` that keeps ``(topic, event)`` in ``sent``.

    ``unreachable`` stands for a broker that is down: every publish raises
    ``ConnectionError`` after the checks, and nothing is kept.
    """

    def __init__(self, *, unreachable: bool = False) -> None:
        self.sent: list[tuple[str, SessionEvent]] = []
        self.unreachable = unreachable

    def events(self, topic: str | None = None) -> list[SessionEvent]:
        """What was published, on ``topic`` or on any."""
        return [event for on, event in self.sent if topic is None or on == topic]

    async def publish(self, event: Publishable, *, topic: str = TOPIC) -> None:
        await self.publish_many([event], topic=topic)

    async def publish_many(self, events: Iterable[Publishable], *, topic: str = TOPIC) -> int:
        checked = [checked_event(event, topic=topic) for event in events]
        if self.unreachable:
            raise ConnectionError("the broker is unreachable")
        self.sent.extend((topic, event) for event in checked)
        return len(checked)
