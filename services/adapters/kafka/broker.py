"""One place that builds FastStream Kafka brokers with kapaudit's delivery settings."""

from __future__ import annotations

import logging

from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity

__all__ = ["make_broker"]


def make_broker(
    *,
    bootstrap_servers: str,
    idempotent: bool = False,
    linger_ms: int = 5,
    logger: logging.Logger | None = None,
    security: BaseSecurity | None = None,
) -> KafkaBroker:
    """A broker whose publishes wait for every in-sync replica (acks=all).

    Idempotent production is a setting because the embedded Tansu broker rejects
    it; exactly-once recording never depends on it (the log dedupes by event id).
    ``security`` (TLS, SASL) comes from ``kafka_security``; None is PLAINTEXT.

    A 5 ms linger, not none: with ``linger_ms=0`` ``tests/faults/test_broker_restart.py``
    timed out. The loss it showed was later traced to sends acknowledged into a topic the
    restarted broker no longer had (see ``EventPublisher``), so no linger may be safe now;
    it has not been measured again.
    """
    return KafkaBroker(
        bootstrap_servers,
        acks="all",
        enable_idempotence=idempotent,
        linger_ms=linger_ms,
        client_id="kapaudit",
        logger=logger or logging.getLogger("kapaudit.kafka"),
        security=security,
    )
