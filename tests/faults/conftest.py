"""The fault suite's fixtures: its own PostgreSQL server, a database per scenario, the
scale (CI's short form or ``make test-faults``'s full one), and the figures' table."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import create_engine, upgrade_schema
from tests.faults.private_postgres import PrivatePostgres
from tests.faults.reliability import Reliability
from tests.faults.support import ROOT, Scale

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def scale() -> Scale:
    return Scale.from_environment()


@pytest.fixture(scope="session")
def reliability(scale: Scale) -> Iterator[Reliability]:
    """The figures of every scenario run; written once the suite ends. Only the full run
    rewrites ``docs/RELIABILITY.md`` (the committed one); the short one writes beside the
    other test artifacts."""
    collected = Reliability(full=scale.full)
    yield collected
    if collected.rows:
        target = (
            ROOT / "docs" / "RELIABILITY.md"
            if scale.full
            else ROOT / "tests" / "artifacts" / "RELIABILITY.md"
        )
        collected.write(target)


@pytest.fixture(scope="session")
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    server.start()
    try:
        yield server
    finally:
        server.remove()


@pytest.fixture
async def database(postgres: PrivatePostgres) -> AsyncIterator[tuple[str, AsyncEngine]]:
    """A fresh, migrated database on the private server, and an engine on it."""
    if not postgres.running():
        postgres.start()
    url = await postgres.create_database(f"faults_{next(_databases)}")
    engine = create_engine(url)
    await upgrade_schema(engine)
    try:
        yield url, engine
    finally:
        await engine.dispose()


@pytest.fixture
def artifacts() -> Path:
    path = ROOT / "tests" / "artifacts" / "faults"
    path.mkdir(parents=True, exist_ok=True)
    return path
