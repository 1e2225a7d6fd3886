"""TLS and SASL of kapaudit's Kafka clients: the one place settings become client options.

Every client kapaudit builds (the recorder's and the API's brokers, the event and
checkpoint publishers, the dead-letter sink, the admin client that creates topics, the
CLI's publishers) takes what ``kafka_security`` returns, so they all connect alike.
"""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiokafka.helpers import create_ssl_context
from faststream.kafka.security import parse_security
from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)

if TYPE_CHECKING:
    from services.config import Settings

__all__ = ["KafkaSecurityError", "aiokafka_options", "kafka_security"]

_SASL = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


class KafkaSecurityError(Exception):
    """A TLS or SASL file named by the settings cannot be used; says which setting."""


def kafka_security(settings: Settings) -> BaseSecurity | None:
    """FastStream's security object for ``settings``' Kafka clients; None for PLAINTEXT.

    Reads the CA, client certificate and SASL password files now, so that a missing or
    unreadable one fails at start, naming its setting, rather than at the first connection.
    ``Settings`` has already refused inconsistent combinations.
    """
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = _ssl_context(settings) if protocol in ("SSL", "SASL_SSL") else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    mechanism = settings.kafka_sasl_mechanism
    username = settings.kafka_sasl_username
    password_file = settings.kafka_sasl_password_file
    if mechanism is None or username is None or password_file is None:
        raise KafkaSecurityError(f"KAPAUDIT_KAFKA_SECURITY_PROTOCOL={protocol} needs SASL settings")
    return _SASL[mechanism](
        username,
        _password(password_file),
        ssl_context=context,
        use_ssl=context is not None,
    )


def aiokafka_options(security: BaseSecurity | None) -> dict[str, Any]:
    """The same security as keyword arguments of aiokafka's clients (the admin client),
    translated as FastStream translates it for its own, so that both connect alike."""
    return parse_security(security)


def _ssl_context(settings: Settings) -> ssl.SSLContext:
    cafile = _existing("KAPAUDIT_KAFKA_SSL_CAFILE", settings.kafka_ssl_cafile)
    certfile = _existing("KAPAUDIT_KAFKA_SSL_CERTFILE", settings.kafka_ssl_certfile)
    keyfile = _existing("KAPAUDIT_KAFKA_SSL_KEYFILE", settings.kafka_ssl_keyfile)
    try:
        # Verifies the broker's certificate chain and host name: against the CA file
        # alone when one is given, else against the system's trust store.
        context: ssl.SSLContext = create_ssl_context(cafile=cafile)
    except (ssl.SSLError, OSError) as error:
        raise KafkaSecurityError(f"KAPAUDIT_KAFKA_SSL_CAFILE: not a PEM CA file: {error}") from None
    if certfile is not None:
        try:
            # Never OpenSSL's passphrase prompt: a service has no terminal to answer it.
            context.load_cert_chain(certfile, keyfile, password=_no_passphrase)
        except (ssl.SSLError, OSError) as error:
            raise KafkaSecurityError(
                "KAPAUDIT_KAFKA_SSL_CERTFILE / KAPAUDIT_KAFKA_SSL_KEYFILE: not a PEM certificate "
                f"and its unencrypted key: {error}"
            ) from None
    return context


def _no_passphrase() -> bytes:
    return b""


def _existing(setting: str, path: Path | None) -> Path | None:
    if path is not None and not path.is_file():
        raise KafkaSecurityError(f"{setting}: no such file: {path}")
    return path


def _password(path: Path) -> str:
    try:
        password = path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as error:
        raise KafkaSecurityError(f"KAPAUDIT_KAFKA_SASL_PASSWORD_FILE: {error}") from None
    if not password:
        raise KafkaSecurityError(f"KAPAUDIT_KAFKA_SASL_PASSWORD_FILE: {path} is empty")
    return password
