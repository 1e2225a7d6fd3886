"""The metrics port on ``prometheus-client``, and the recorder's and projector's own port.

Each ``PrometheusMetrics`` has its own ``CollectorRegistry``, not the library's global one:
tests build many in one interpreter, and a process exposes only what it counts.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from wsgiref.simple_server import WSGIServer

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
    write_to_textfile,
)

__all__ = ["MetricsPortError", "MetricsServer", "PrometheusMetrics"]

_log = logging.getLogger("kapaudit.metrics")

# A batch is one transaction of up to 500 events: milliseconds on a quiet SQLite,
# seconds on a loaded PostgreSQL; beyond 10 s something is wrong.
_COMMIT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class MetricsPortError(Exception):
    """The metrics port could not be bound (taken, or not ours to take)."""


class PrometheusMetrics:
    """Implements ``services.metrics.Metrics``; names are ``kapaudit_*``."""

    def __init__(self, *, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self._recorded = Counter(
            "kapaudit_events_recorded", "Events appended to the log.", registry=r
        )
        self._duplicates = Counter(
            "kapaudit_events_duplicate",
            "Redelivered events already in the log, skipped.",
            registry=r,
        )
        self._rejected = Counter(
            "kapaudit_events_rejected",
            "Messages stored in rejected_events, by reason.",
            ["reason"],
            registry=r,
        )
        self._dlq_failed = Counter(
            "kapaudit_dead_letters_failed",
            "Rejections whose dead letter never reached the DLQ topic.",
            registry=r,
        )
        self._commit = Histogram(
            "kapaudit_recorder_batch_commit_seconds",
            "Time from receiving a batch to its database commit.",
            buckets=_COMMIT_BUCKETS,
            registry=r,
        )
        self._consumer_lag = Gauge(
            "kapaudit_recorder_consumer_lag",
            "Messages the recorder has not consumed yet, per partition.",
            ["topic", "partition"],
            registry=r,
        )
        self._lag_positions = Gauge(
            "kapaudit_projector_lag_positions",
            "Log positions a projection has not folded yet.",
            ["projection"],
            registry=r,
        )
        self._lag_seconds = Gauge(
            "kapaudit_projector_lag_seconds",
            "Age of the oldest log event a projection has not folded (0 when caught up).",
            ["projection"],
            registry=r,
        )
        self._http = Counter(
            "kapaudit_http_requests",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=r,
        )
        self._http_seconds = Histogram(
            "kapaudit_http_request_duration_seconds",
            "HTTP request latency, by route template.",
            ["route"],
            registry=r,
        )
        self._verifications = Counter(
            "kapaudit_verifications",
            "Verifications of the log, by result (intact or broken).",
            ["result"],
            registry=r,
        )
        self._verified_intact = Gauge(
            "kapaudit_verification_intact",
            "1 if the last verification found the log intact, else 0.",
            registry=r,
        )
        self._verified_events = Gauge(
            "kapaudit_verification_events",
            "Events the last verification checked.",
            registry=r,
        )
        self._verified_problems = Gauge(
            "kapaudit_verification_problems",
            "Broken links and tree findings of the last verification.",
            registry=r,
        )
        self._verified_at = Gauge(
            "kapaudit_verification_timestamp_seconds",
            "When the last verification finished (Unix time).",
            registry=r,
        )

    def events_recorded(self, *, recorded: int, duplicates: int) -> None:
        self._recorded.inc(recorded)
        self._duplicates.inc(duplicates)

    def event_rejected(self, *, reason: str) -> None:
        self._rejected.labels(reason=reason).inc()

    def dead_letter_failed(self) -> None:
        self._dlq_failed.inc()

    def batch_committed(self, *, seconds: float) -> None:
        self._commit.observe(seconds)

    def consumer_lag(self, *, topic: str, partition: int, messages: int) -> None:
        self._consumer_lag.labels(topic=topic, partition=str(partition)).set(messages)

    def projector_lag(self, *, projection: str, positions: int, seconds: float) -> None:
        self._lag_positions.labels(projection=projection).set(positions)
        self._lag_seconds.labels(projection=projection).set(seconds)

    def http_request(self, *, method: str, route: str, status: int, seconds: float) -> None:
        self._http.labels(method=method, route=route, status=str(status)).inc()
        self._http_seconds.labels(route=route).observe(seconds)

    def verification(self, *, intact: bool, events: int, problems: int, at: float) -> None:
        self._verifications.labels(result="intact" if intact else "broken").inc()
        self._verified_intact.set(1 if intact else 0)
        self._verified_events.set(events)
        self._verified_problems.set(problems)
        self._verified_at.set(at)

    def exposition(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def write_textfile(self, path: Path) -> None:
        """Write the figures for node_exporter's textfile collector (atomically: it
        writes a temporary file and renames it, so a scrape never reads half a file)."""
        write_to_textfile(str(path), self.registry)


class MetricsServer:
    """``/metrics`` of one registry on its own port, in a daemon thread (the recorder's
    and the projector's; the API serves its own through the app). Port 0 picks a free
    one: ``port`` tells which, once started."""

    def __init__(self, *, metrics: PrometheusMetrics, host: str, port: int) -> None:
        self._metrics = metrics
        self._host = host
        self._requested = port
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the metrics server is not running")
        return int(self._server.server_port)

    def start(self) -> None:
        try:
            self._server, self._thread = start_http_server(
                self._requested, addr=self._host, registry=self._metrics.registry
            )
        except OSError as error:
            raise MetricsPortError(
                f"cannot serve metrics on {self._host}:{self._requested}: {error.strerror}"
            ) from error

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
