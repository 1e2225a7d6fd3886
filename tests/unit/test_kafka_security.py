"""KAPAUDIT_KAFKA_* TLS and SASL settings -> the options of every Kafka client kapaudit builds."""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
from pathlib import Path
from typing import Any

import pytest
from faststream.security import BaseSecurity

from services.adapters.kafka import EventPublisher, aiokafka_options, kafka_security
from services.adapters.kafka import broker as broker_module
from services.adapters.kafka import publisher as publisher_module
from services.adapters.kafka import topics as topics_module
from services.adapters.kafka.security import KafkaSecurityError
from services.config import Settings
from tests.support.certificates import Pki, make_pki, tls_server

BOOTSTRAP = "kafka-1.example:9092"


@pytest.fixture(autouse=True)
def _no_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("KAPAUDIT_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "kafka.password"
    path.write_text("s3cret-pass\n", encoding="utf-8")
    return path


def _options(**settings: Any) -> dict[str, Any]:
    return aiokafka_options(kafka_security(Settings(kafka_bootstrap_servers=BOOTSTRAP, **settings)))


def test_plaintext_is_the_default_and_adds_no_option() -> None:
    settings = Settings(kafka_bootstrap_servers=BOOTSTRAP)
    assert settings.kafka_security_protocol == "PLAINTEXT"
    assert kafka_security(settings) is None
    assert aiokafka_options(None) == {}


def test_ssl_verifies_the_brokers_against_the_ca_file(pki: Pki) -> None:
    options = _options(kafka_security_protocol="SSL", kafka_ssl_cafile=pki.ca_cert)

    assert options["security_protocol"] == "SSL"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    # The CA file alone: not the system's trust store besides it.
    assert [_common_name(ca) for ca in context.get_ca_certs()] == ["kapaudit test CA"]


def test_ssl_without_a_ca_file_trusts_the_systems_store() -> None:
    options = _options(kafka_security_protocol="SSL")
    assert options["security_protocol"] == "SSL"
    assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"])
def test_sasl_ssl_sends_the_user_and_the_files_password_inside_tls(
    mechanism: str, pki: Pki, password_file: Path
) -> None:
    options = _options(
        kafka_security_protocol="SASL_SSL",
        kafka_ssl_cafile=pki.ca_cert,
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="kapaudit",
        kafka_sasl_password_file=password_file,
    )

    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == mechanism
    assert options["sasl_plain_username"] == "kapaudit"
    assert options["sasl_plain_password"] == "s3cret-pass"  # the newline is not part of it
    assert isinstance(options["ssl_context"], ssl.SSLContext)


@pytest.mark.parametrize("mechanism", ["SCRAM-SHA-512", "SCRAM-SHA-256"])
def test_sasl_plaintext_authenticates_without_tls(mechanism: str, password_file: Path) -> None:
    options = _options(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="kapaudit",
        kafka_sasl_password_file=password_file,
    )

    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == mechanism
    assert options["ssl_context"] is None


def test_protocol_and_mechanism_are_read_in_any_case(password_file: Path) -> None:
    settings = Settings(
        kafka_bootstrap_servers=BOOTSTRAP,
        kafka_security_protocol=" sasl_plaintext",
        kafka_sasl_mechanism="scram-sha-512",
        kafka_sasl_username="kapaudit",
        kafka_sasl_password_file=password_file,
        database_sslmode="VERIFY-FULL",
        database_ssl_root_cert=password_file,
    )
    assert settings.kafka_security_protocol == "SASL_PLAINTEXT"
    assert settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
    assert settings.database_sslmode == "verify-full"


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        (
            {"kafka_security_protocol": "SASL_SSL", "kafka_bootstrap_servers": BOOTSTRAP},
            [
                "KAPAUDIT_KAFKA_SASL_MECHANISM",
                "KAPAUDIT_KAFKA_SASL_USERNAME",
                "KAPAUDIT_KAFKA_SASL_PASSWORD_FILE",
            ],
        ),
        (
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_bootstrap_servers": BOOTSTRAP,
                "kafka_sasl_username": "kapaudit",
                "kafka_sasl_password_file": "pw",
            },
            ["KAPAUDIT_KAFKA_SASL_MECHANISM"],
        ),
        (
            {
                "kafka_security_protocol": "SSL",
                "kafka_bootstrap_servers": BOOTSTRAP,
                "kafka_ssl_certfile": "client.crt",
            },
            ["KAPAUDIT_KAFKA_SSL_CERTFILE", "KAPAUDIT_KAFKA_SSL_KEYFILE"],
        ),
        (
            {
                "kafka_security_protocol": "SSL",
                "kafka_bootstrap_servers": BOOTSTRAP,
                "kafka_ssl_keyfile": "client.key",
            },
            ["KAPAUDIT_KAFKA_SSL_KEYFILE", "KAPAUDIT_KAFKA_SSL_CERTFILE"],
        ),
        (
            {"kafka_bootstrap_servers": BOOTSTRAP, "kafka_ssl_cafile": "ca.crt"},
            ["KAPAUDIT_KAFKA_SSL_CAFILE", "KAPAUDIT_KAFKA_SECURITY_PROTOCOL=PLAINTEXT"],
        ),
        (
            {
                "kafka_security_protocol": "SSL",
                "kafka_bootstrap_servers": BOOTSTRAP,
                "kafka_sasl_username": "kapaudit",
            },
            ["KAPAUDIT_KAFKA_SASL_USERNAME", "KAPAUDIT_KAFKA_SECURITY_PROTOCOL=SSL"],
        ),
        (
            {
                "kafka_security_protocol": "SASL_PLAINTEXT",
                "kafka_bootstrap_servers": BOOTSTRAP,
                "kafka_sasl_mechanism": "PLAIN",
                "kafka_sasl_username": "kapaudit",
                "kafka_sasl_password_file": "pw",
            },
            ["KAPAUDIT_KAFKA_SASL_MECHANISM=PLAIN", "unencrypted"],
        ),
        (
            {"kafka_security_protocol": "SSL"},
            ["KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS", "embedded broker is plaintext only"],
        ),
        (
            {"database_sslmode": "verify-full"},
            ["KAPAUDIT_DATABASE_SSLMODE=verify-full", "KAPAUDIT_DATABASE_SSL_ROOT_CERT"],
        ),
        (
            {"database_sslmode": "verify-ca"},
            ["KAPAUDIT_DATABASE_SSLMODE=verify-ca", "KAPAUDIT_DATABASE_SSL_ROOT_CERT"],
        ),
        (
            {"database_sslmode": "require", "database_ssl_root_cert": "ca.crt"},
            ["KAPAUDIT_DATABASE_SSL_ROOT_CERT", "verify-ca or verify-full"],
        ),
        (
            {"database_ssl_root_cert": "ca.crt"},
            ["KAPAUDIT_DATABASE_SSL_ROOT_CERT", "KAPAUDIT_DATABASE_SSLMODE is unset"],
        ),
        (
            {
                "database_sslmode": "require",
                "database_url": "postgresql+asyncpg://db.example/kapaudit?ssl=verify-full",
            },
            ["KAPAUDIT_DATABASE_SSLMODE", "KAPAUDIT_DATABASE_URL's ?ssl="],
        ),
    ],
)
def test_inconsistent_settings_are_one_line_naming_the_settings(
    settings: dict[str, Any], named: list[str]
) -> None:
    from pydantic import ValidationError

    from services.cli.errors import settings_problems

    with pytest.raises(ValidationError) as raised:
        Settings(**settings)

    line = settings_problems(raised.value)
    assert "\n" not in line
    for name in named:
        assert name in line


def test_an_unknown_protocol_names_its_variable() -> None:
    from pydantic import ValidationError

    from services.cli.errors import settings_problems

    with pytest.raises(ValidationError) as raised:
        Settings(kafka_security_protocol="TLS")
    assert settings_problems(raised.value).startswith("KAPAUDIT_KAFKA_SECURITY_PROTOCOL: ")


def test_a_missing_password_file_names_its_setting(tmp_path: Path) -> None:
    with pytest.raises(KafkaSecurityError, match="KAPAUDIT_KAFKA_SASL_PASSWORD_FILE"):
        _options(
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="kapaudit",
            kafka_sasl_password_file=tmp_path / "absent",
        )


def test_an_empty_password_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "empty").write_text("\n", encoding="utf-8")
    with pytest.raises(KafkaSecurityError, match=r"KAPAUDIT_KAFKA_SASL_PASSWORD_FILE: .* is empty"):
        _options(
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="kapaudit",
            kafka_sasl_password_file=tmp_path / "empty",
        )


def test_a_missing_or_malformed_ca_file_names_its_setting(tmp_path: Path) -> None:
    with pytest.raises(KafkaSecurityError, match="KAPAUDIT_KAFKA_SSL_CAFILE: no such file"):
        _options(kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "absent.crt")
    (tmp_path / "junk.crt").write_text("not a certificate", encoding="utf-8")
    with pytest.raises(KafkaSecurityError, match="KAPAUDIT_KAFKA_SSL_CAFILE: not a PEM"):
        _options(kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path / "junk.crt")


def test_an_encrypted_client_key_is_refused_without_prompting(pki: Pki) -> None:
    with pytest.raises(KafkaSecurityError, match="KAPAUDIT_KAFKA_SSL_KEYFILE"):
        _options(
            kafka_security_protocol="SSL",
            kafka_ssl_cafile=pki.ca_cert,
            kafka_ssl_certfile=pki.client_cert,
            kafka_ssl_keyfile=pki.encrypted_client_key,
        )


async def test_the_context_completes_a_handshake_only_with_a_server_its_ca_signed(
    pki: Pki,
) -> None:
    trusting = _options(kafka_security_protocol="SSL", kafka_ssl_cafile=pki.ca_cert)
    other = _options(kafka_security_protocol="SSL", kafka_ssl_cafile=pki.other_ca_cert)
    async with tls_server(pki) as server:
        await _handshake(server.port, trusting["ssl_context"], host="localhost")
        with pytest.raises(ssl.SSLCertVerificationError):
            await _handshake(server.port, other["ssl_context"], host="localhost")
        # The host name is checked too: the certificate does not name this one.
        with pytest.raises(ssl.SSLCertVerificationError):
            await _handshake(server.port, trusting["ssl_context"], host="kafka.example")


async def test_mtls_presents_the_client_certificate(pki: Pki) -> None:
    options = _options(
        kafka_security_protocol="SSL",
        kafka_ssl_cafile=pki.ca_cert,
        kafka_ssl_certfile=pki.client_cert,
        kafka_ssl_keyfile=pki.client_key,
    )
    async with tls_server(pki, require_client_cert=True) as server:
        await _handshake(server.port, options["ssl_context"], host="localhost")
        await _settled(server.client_subjects)
    assert server.client_subjects == ["kapaudit"]


def test_make_broker_gives_faststream_the_security(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(broker_module, "KafkaBroker", lambda *a, **kw: seen.update(kw))
    security = BaseSecurity(ssl_context=ssl.create_default_context())

    broker_module.make_broker(bootstrap_servers=BOOTSTRAP, security=security)

    assert seen["security"] is security
    assert seen["acks"] == "all"


async def test_the_admin_client_that_creates_topics_gets_the_same_options(
    monkeypatch: pytest.MonkeyPatch, password_file: Path
) -> None:
    seen: dict[str, Any] = {}

    class Admin:
        def __init__(self, **kwargs: Any) -> None:
            seen.update(kwargs)

        async def start(self) -> None:
            raise ConnectionError("stop here")

    monkeypatch.setattr(topics_module, "AIOKafkaAdminClient", Admin)
    security = kafka_security(
        Settings(
            kafka_bootstrap_servers=BOOTSTRAP,
            kafka_security_protocol="SASL_PLAINTEXT",
            kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="kapaudit",
            kafka_sasl_password_file=password_file,
        )
    )

    with pytest.raises(ConnectionError):
        await topics_module.ensure_topics(
            bootstrap_servers=BOOTSTRAP, partitions=1, security=security
        )

    assert seen["security_protocol"] == "SASL_PLAINTEXT"
    assert seen["sasl_mechanism"] == "SCRAM-SHA-512"
    assert seen["sasl_plain_password"] == "s3cret-pass"


def test_a_publisher_of_its_own_passes_the_security_on(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr(publisher_module, "make_broker", lambda **kw: seen.update(kw))
    security = BaseSecurity(ssl_context=ssl.create_default_context())

    EventPublisher(bootstrap_servers=BOOTSTRAP, security=security)

    assert seen["security"] is security


async def _handshake(port: int, context: ssl.SSLContext, *, host: str) -> None:
    _reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=host), 10
    )
    writer.close()
    with contextlib.suppress(ssl.SSLError, ConnectionError):
        await writer.wait_closed()


async def _settled(outcomes: list[str]) -> None:
    for _ in range(100):
        if outcomes:
            return
        await asyncio.sleep(0.02)


def _common_name(certificate: Any) -> str:
    return str(dict(rdn[0] for rdn in certificate["subject"])["commonName"])
