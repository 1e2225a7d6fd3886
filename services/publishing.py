"""The publisher port: how kapaudit's services put events on a topic (the HTTP intake,
profile changes, the access auditor), whatever carries them."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Protocol

from events import TOPIC, SessionEvent, check_topic, parse_event

__all__ = ["Publishable", "Publisher", "checked_event"]

Publishable = SessionEvent | dict[str, object] | bytes
"""An event as a model, a decoded JSON object or the JSON bytes."""


class Publisher(Protocol):
    """Publishes contract-valid events and returns once each one is accepted.

    Every event is checked before any is sent (``checked_event``): an invalid event,
    or one that does not travel on ``topic``, raises ``EventRejected`` and nothing of
    the call is sent.
    """

    async def publish(self, event: Publishable, *, topic: str = TOPIC) -> None:
        """Publish one event and wait until it is accepted."""
        ...

    async def publish_many(self, events: Iterable[Publishable], *, topic: str = TOPIC) -> int:
        """Publish several events and wait until every one is accepted; returns how many."""
        ...


def checked_event(event: Publishable, *, topic: str) -> SessionEvent:
    """The event, parsed when it is not a model yet, if it may travel on ``topic``;
    raises ``EventRejected`` otherwise, as the recorder would reject it."""
    if isinstance(event, bytes):
        parsed = parse_event(event)
    elif isinstance(event, dict):
        parsed = parse_event(json.dumps(event).encode("utf-8"))
    else:
        parsed = event
    check_topic(parsed, topic)
    return parsed
