"""Dead letters kept in a list: the recorder's sink without a broker."""

from __future__ import annotations

from services.recording.messages import Rejection

__all__ = ["InMemoryDeadLetterSink"]


class InMemoryDeadLetterSink:
    """``services.recording.ports.DeadLetterSink`` that keeps each rejection in ``sent``,
    in the order sent; at least once, like the topic (a redelivered batch sends again)."""

    def __init__(self) -> None:
        self.sent: list[Rejection] = []

    async def send(self, rejection: Rejection) -> None:
        self.sent.append(rejection)
