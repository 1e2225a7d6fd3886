"""Throwaway certificates for TLS tests: a CA, a server certificate it signed (for
``localhost`` and 127.0.0.1), a client certificate (mTLS) and an unrelated CA.

Also a TLS server on 127.0.0.1 that completes handshakes and records what it saw, so
tests can check what a client's SSL context verifies without any real broker or database.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import ssl
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["Pki", "TlsServer", "make_pki", "tls_server"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Pki:
    ca_cert: Path
    other_ca_cert: Path
    """A CA that signed nothing here: trusting it alone must fail verification."""
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    encrypted_client_key: Path
    """The client key encrypted with a passphrase (``secret``)."""


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = _ca("kapaudit test CA")
    _, other_ca_cert = _ca("some other CA")
    server_key, server_cert = _leaf(
        "localhost",
        ca_key=ca_key,
        ca_cert=ca_cert,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        names=[x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))],
    )
    client_key, client_cert = _leaf(
        "kapaudit", ca_key=ca_key, ca_cert=ca_cert, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )
    paths = {
        "ca_cert": _write(directory / "ca.crt", _pem(ca_cert)),
        "other_ca_cert": _write(directory / "other-ca.crt", _pem(other_ca_cert)),
        "server_cert": _write(directory / "server.crt", _pem(server_cert)),
        "server_key": _write(directory / "server.key", _key_pem(server_key)),
        "client_cert": _write(directory / "client.crt", _pem(client_cert)),
        "client_key": _write(directory / "client.key", _key_pem(client_key)),
        "encrypted_client_key": _write(
            directory / "client-encrypted.key", _key_pem(client_key, passphrase=b"secret")
        ),
    }
    return Pki(**paths)


@dataclass(slots=True)
class TlsServer:
    """Where the server listens, and the outcome of each handshake it was offered."""

    port: int = 0
    client_subjects: list[str] = field(default_factory=list)
    """The common name of each client certificate presented ("" when none was)."""
    failures: list[str] = field(default_factory=list)


@contextlib.asynccontextmanager
async def tls_server(
    pki: Pki, *, require_client_cert: bool = False, postgres: bool = False
) -> AsyncIterator[TlsServer]:
    """A TLS server on 127.0.0.1 that closes each connection after the handshake.

    ``postgres``: first answer PostgreSQL's SSLRequest with ``S``, as a TLS-enabled
    PostgreSQL server does, so that asyncpg starts its handshake.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    if require_client_cert:
        context.load_verify_locations(cafile=pki.ca_cert)
        context.verify_mode = ssl.CERT_REQUIRED
    seen = TlsServer()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if postgres:
                length, code = struct.unpack("!ii", await reader.readexactly(8))
                assert (length, code) == (8, 80877103), "not an SSLRequest"
                writer.write(b"S")
                await writer.drain()
            await writer.start_tls(context)
            peer = writer.get_extra_info("peercert") or {}
            names = [value for rdn in peer.get("subject", ()) for key, value in rdn]
            seen.client_subjects.append(names[0] if names else "")
        except (ssl.SSLError, ConnectionError, asyncio.IncompleteReadError) as error:
            seen.failures.append(f"{type(error).__name__}: {error}")
        finally:
            writer.close()
            with contextlib.suppress(ssl.SSLError, ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    seen.port = server.sockets[0].getsockname()[1]
    try:
        yield seen
    finally:
        server.close()
        await server.wait_closed()


def _ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        _builder(subject, issuer=subject, public_key=key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _leaf(
    name: str,
    *,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
    usage: x509.ObjectIdentifier,
    names: list[x509.GeneralName] | None = None,
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        _builder(subject, issuer=ca_cert.subject, public_key=key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def _builder(
    subject: x509.Name, *, issuer: x509.Name, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = datetime.now(UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: ec.EllipticCurvePrivateKey, *, passphrase: bytes | None = None) -> bytes:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path
