"""The clock port: rules and records take the time from here, never from ``datetime.now``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "FixedClock", "ReplayClock", "SystemClock"]


class Clock(Protocol):
    """Tells the current instant, always timezone-aware."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move; for tests and replays."""

    def __init__(self, *, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self._at = at


class ReplayClock:
    """The wall clock, except while a replay holds it at a past instant.

    The demo month is replayed through the recorder with the clock held at the moments a
    live recorder would have written each batch, so that its records read as entered on
    time; once released, the clock is the wall clock again. Held instants only move forward:
    the log's recording times never run backwards.
    """

    def __init__(self) -> None:
        self._held: datetime | None = None

    def now(self) -> datetime:
        return self._held if self._held is not None else datetime.now(UTC)

    def hold(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("ReplayClock needs a timezone-aware instant")
        if self._held is not None and at < self._held:
            raise ValueError("a replay's clock never runs backwards")
        if at > datetime.now(UTC):
            raise ValueError("a replay's clock never runs ahead of the wall clock")
        self._held = at

    def release(self) -> None:
        self._held = None
