"""The metrics port: what the processes count, without naming a metrics library.

Pure code and tests take ``NO_METRICS``; the running processes get the Prometheus adapter
(``services.adapters.prometheus``). Labels carry only reasons, routes, topics and
projection names: never an id, a path with an id in it, or anything from a payload.
"""

from __future__ import annotations

from typing import Final, Protocol

__all__ = ["NO_METRICS", "Metrics", "NoMetrics"]


class Metrics(Protocol):
    """Every figure an operator watches, one method per thing that happened."""

    def events_recorded(self, *, recorded: int, duplicates: int) -> None:
        """A batch committed ``recorded`` new events and skipped ``duplicates``."""
        ...

    def event_rejected(self, *, reason: str) -> None:
        """One message was stored in ``rejected_events`` for ``reason``."""
        ...

    def dead_letter_failed(self) -> None:
        """A rejection's dead letter never reached the topic (it stays stored)."""
        ...

    def batch_committed(self, *, seconds: float) -> None:
        """How long one batch took from classification to the database commit."""
        ...

    def consumer_lag(self, *, topic: str, partition: int, messages: int) -> None:
        """Messages of ``topic``/``partition`` the recorder has not consumed yet."""
        ...

    def projector_lag(self, *, projection: str, positions: int, seconds: float) -> None:
        """How far ``projection`` is behind the log: in positions, and the age of the
        oldest event it has not folded (0 when caught up)."""
        ...

    def http_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        """One HTTP request answered; ``route`` is the template (``/v1/sessions/{id}``)."""
        ...

    def verification(self, *, intact: bool, events: int, problems: int, at: float) -> None:
        """One verification of the log finished (``at``: Unix time)."""
        ...

    def exposition(self) -> tuple[bytes, str]:
        """The current figures in the text format a scraper reads, and its content type."""
        ...


class NoMetrics:
    """Counts nothing: for pure code, tests and one-shot commands."""

    def events_recorded(self, *, recorded: int, duplicates: int) -> None:
        pass

    def event_rejected(self, *, reason: str) -> None:
        pass

    def dead_letter_failed(self) -> None:
        pass

    def batch_committed(self, *, seconds: float) -> None:
        pass

    def consumer_lag(self, *, topic: str, partition: int, messages: int) -> None:
        pass

    def projector_lag(self, *, projection: str, positions: int, seconds: float) -> None:
        pass

    def http_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        pass

    def verification(self, *, intact: bool, events: int, problems: int, at: float) -> None:
        pass

    def exposition(self) -> tuple[bytes, str]:
        return b"", "text/plain; charset=utf-8"


NO_METRICS: Final[Metrics] = NoMetrics()
