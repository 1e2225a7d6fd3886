"""Fixtures shared by every test layer: a store on one backend or both, the real broker.

Which store a test gets:

- ``tests/contract`` and ``tests/integration`` test the store itself: their conftests run
  every test asking for ``database_url`` (or ``engine``) on each of ``BACKENDS``.
- Elsewhere (HTTP, dashboard, CLI, browser, hostile input) the concern is not the SQL
  dialect, so a test runs on ``SINGLE_BACKEND`` only, unless it checks something the two
  dialects treat differently (a NUL in an id, a driver's outage error, an exact instant at
  a period's edge); such a test says so with ``@both_stores``.

``pytest_collection_modifyitems`` marks what each test needs, from the fixtures it uses:
``postgres`` (the PostgreSQL server) and ``broker`` (the embedded Tansu broker), so
``pytest -m "not postgres and not broker"`` is the part that runs without either.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.tansu import EmbeddedBroker

# A net under the explicit port-0 settings of the test supports: a stack started in this
# process from the environment must not take 9101/9102 from a neighbouring test run.
os.environ.setdefault("KAPAUDIT_RECORDER_METRICS_PORT", "0")
os.environ.setdefault("KAPAUDIT_PROJECTOR_METRICS_PORT", "0")

POSTGRES_DSN = os.environ.get(
    "KAPAUDIT_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
)


async def _postgres_schema() -> str:
    """Create a throwaway schema; fail (never skip) when PostgreSQL is unreachable."""
    try:
        connection = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(
            f"PostgreSQL unreachable at {POSTGRES_DSN}: {error}. Start it with "
            "`pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`",
            pytrace=False,
        )
    schema = f"t_{uuid.uuid4().hex[:12]}"
    try:
        await connection.execute(f'CREATE SCHEMA "{schema}"')
    finally:
        await connection.close()
    return schema


async def _drop_postgres_schema(schema: str) -> None:
    connection = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    try:
        await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        await connection.close()


def postgres_url(schema: str) -> str:
    """An SQLAlchemy URL whose connections see only ``schema``."""
    base = POSTGRES_DSN.replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}?search_path={schema}"


BACKENDS = ("sqlite", "postgresql")
"""Every store kapaudit supports; the contract and integration suites run on each."""

SINGLE_BACKEND = "sqlite"
"""The store of the suites whose concern is not the SQL dialect. SQLite, deliberately: it is
the embedded default (``make run``, the browser tests' stack), it needs no server, so
``make test-fast`` runs anywhere, and it is the faster of the two. PostgreSQL, the
production store, is not left out: the contract and integration suites run every store
operation on it, and ``@both_stores`` keeps on it the tests elsewhere that depend on it."""

both_stores = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
"""Runs a test outside the contract and integration suites on every backend, for a check
whose outcome depends on the SQL dialect."""


@asynccontextmanager
async def fresh_database(backend: str, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of an empty database on ``backend``, removed afterwards (PostgreSQL)."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'kapaudit.db'}"
        return
    schema = await _postgres_schema()
    try:
        yield postgres_url(schema)
    finally:
        await _drop_postgres_schema(schema)


@pytest.fixture
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database on ``SINGLE_BACKEND``, or on the backend a parametrization names
    (``@both_stores``, the contract and integration conftests)."""
    async with fresh_database(getattr(request, "param", SINGLE_BACKEND), tmp_path) as url:
        yield url


def copy_sqlite(source: Path, target: Path) -> None:
    """Every page of the SQLite database ``source`` into ``target`` (the online backup API,
    so a write-ahead log is included)."""
    reading, writing = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reading.backup(writing)
    finally:
        reading.close()
        writing.close()


@pytest.fixture(scope="session")
async def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite database migrated once per run, for ``engine`` to copy."""
    path = tmp_path_factory.mktemp("migrated") / "kapaudit.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        await upgrade_schema(engine)
    finally:
        await engine.dispose()
    return path


def _start_new_sqlite_from(migrated: Path, database_url: str) -> None:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        copy_sqlite(migrated, Path(url.database))


@pytest.fixture
async def engine(database_url: str, migrated_sqlite: Path) -> AsyncIterator[AsyncEngine]:
    """An engine on ``database_url``, migrated. A new SQLite file starts as a copy of
    ``migrated_sqlite``: what ``upgrade_schema`` would write, without running every
    migration again for each test (it was most of a test's setup)."""
    _start_new_sqlite_from(migrated_sqlite, database_url)
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
async def kafka() -> AsyncIterator[EmbeddedBroker]:
    """A fresh embedded Tansu broker: memory storage, so every test starts empty."""
    async with EmbeddedBroker(port=0) as broker:
        yield broker


BROKER_FIXTURES = frozenset({"kafka", "broker", "doomed_broker", "demo"})
"""Fixtures that start an embedded Tansu broker: ``kafka`` above, and those of
tests/e2e/test_report_cli.py, tests/http/test_publishing_without_a_broker.py, the browser
stacks and tests/e2e/test_demo_export_tamper.py. A test that starts one without a fixture
(``kapaudit up``) is marked by hand."""

POSTGRES_FIXTURES = frozenset({"postgres"})
"""Fixtures that need PostgreSQL besides a ``database_url`` on it: the fault suite's server."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark ``postgres`` and ``broker`` from the fixtures each test uses, so that
    ``-m "not postgres and not broker"`` selects what runs without either server."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        if on_postgres or fixtures & POSTGRES_FIXTURES:
            item.add_marker(pytest.mark.postgres)
        if fixtures & BROKER_FIXTURES:
            item.add_marker(pytest.mark.broker)
