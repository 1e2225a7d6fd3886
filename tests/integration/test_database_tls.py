"""KAPAUDIT_DATABASE_SSLMODE and KAPAUDIT_DATABASE_SSL_ROOT_CERT: asyncpg's TLS.

The local test server (127.0.0.1:5432) offers no TLS, so it shows ``disable`` working and
``require`` refused; what ``verify-ca`` and ``verify-full`` check is shown against a TLS
server that answers PostgreSQL's SSLRequest and completes the handshake (no database
behind it: it closes the connection right after).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import create_engine, engine_from_settings
from services.adapters.sql.engine import DatabaseTlsError, SslMode, postgres_ssl_context
from services.config import Settings
from tests.conftest import POSTGRES_DSN
from tests.support.certificates import Pki, make_pki, tls_server

LOCAL = POSTGRES_DSN.replace("postgresql://", "postgresql+asyncpg://", 1)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def disposing() -> AsyncIterator[list[AsyncEngine]]:
    engines: list[AsyncEngine] = []
    yield engines
    for engine in engines:
        await engine.dispose()


def test_each_sslmode_becomes_asyncpgs_ssl_argument(pki: Pki) -> None:
    assert postgres_ssl_context("disable", root_cert=None) is False

    require = postgres_ssl_context("require", root_cert=None)
    assert isinstance(require, ssl.SSLContext)
    assert (require.verify_mode, require.check_hostname) == (ssl.CERT_NONE, False)

    verify_ca = postgres_ssl_context("verify-ca", root_cert=pki.ca_cert)
    assert isinstance(verify_ca, ssl.SSLContext)
    assert (verify_ca.verify_mode, verify_ca.check_hostname) == (ssl.CERT_REQUIRED, False)
    assert len(verify_ca.get_ca_certs()) == 1

    verify_full = postgres_ssl_context("verify-full", root_cert=pki.ca_cert)
    assert isinstance(verify_full, ssl.SSLContext)
    assert (verify_full.verify_mode, verify_full.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert verify_full.minimum_version == ssl.TLSVersion.TLSv1_2


def test_an_unreadable_root_cert_names_its_setting(tmp_path: Path) -> None:
    (tmp_path / "junk.crt").write_text("junk", encoding="utf-8")
    for path in (tmp_path / "absent.crt", tmp_path / "junk.crt"):
        with pytest.raises(DatabaseTlsError, match="KAPAUDIT_DATABASE_SSL_ROOT_CERT"):
            postgres_ssl_context("verify-full", root_cert=path)


async def test_sqlite_ignores_the_tls_settings(
    tmp_path: Path, pki: Pki, disposing: list[AsyncEngine]
) -> None:
    settings = Settings(
        data_dir=tmp_path, database_sslmode="verify-full", database_ssl_root_cert=pki.ca_cert
    )
    engine = engine_from_settings(settings)
    disposing.append(engine)
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT 1"))).scalar() == 1


@pytest.mark.postgres
async def test_sslmode_disable_connects_to_the_local_server(disposing: list[AsyncEngine]) -> None:
    engine = engine_from_settings(Settings(database_url=LOCAL, database_sslmode="disable"))
    disposing.append(engine)
    async with engine.connect() as connection:
        assert (await connection.execute(text("SELECT ssl FROM pg_stat_ssl"))).first() is not None
        assert (await connection.execute(text("SHOW ssl"))).scalar() == "off"


@pytest.mark.postgres
@pytest.mark.parametrize("mode", ["require", "verify-full"])
async def test_tls_against_the_local_server_without_tls_fails_at_once_and_clearly(
    mode: str, pki: Pki, disposing: list[AsyncEngine]
) -> None:
    root_cert = None if mode == "require" else pki.ca_cert
    engine = engine_from_settings(
        Settings(database_url=LOCAL, database_sslmode=mode, database_ssl_root_cert=root_cert)
    )
    disposing.append(engine)
    started = asyncio.get_running_loop().time()

    with pytest.raises(ConnectionError, match="rejected SSL upgrade"):
        async with asyncio.timeout(30), engine.connect():
            pass

    assert asyncio.get_running_loop().time() - started < 10


async def test_verify_full_accepts_only_a_server_its_ca_signed_for_that_host(
    pki: Pki, disposing: list[AsyncEngine]
) -> None:
    cases: list[tuple[str, SslMode, Path | None, bool]] = [
        ("localhost", "verify-full", pki.ca_cert, True),
        ("127.0.0.1", "verify-full", pki.ca_cert, True),
        ("localhost", "verify-full", pki.other_ca_cert, False),
        ("localhost", "verify-ca", pki.other_ca_cert, False),
        ("localhost", "require", None, True),
    ]
    async with tls_server(pki, postgres=True) as server:
        for host, mode, root_cert, verified in cases:
            engine = create_engine(
                f"postgresql+asyncpg://kapaudit@{host}:{server.port}/kapaudit",
                sslmode=mode,
                ssl_root_cert=root_cert,
            )
            disposing.append(engine)
            # Either way the connection fails (no database behind the handshake); what
            # matters is whether the certificate was refused.
            with pytest.raises(Exception) as failed:  # noqa: PT011
                async with asyncio.timeout(30), engine.connect():
                    pass
            refused = "CERTIFICATE_VERIFY_FAILED" in str(failed.value) or isinstance(
                failed.value, ssl.SSLCertVerificationError
            )
            assert refused is not verified, (host, mode, repr(failed.value))
        await asyncio.sleep(0.1)
    # The server saw a completed handshake exactly for the connections that verified it.
    assert len(server.client_subjects) == sum(verified for *_, verified in cases)
