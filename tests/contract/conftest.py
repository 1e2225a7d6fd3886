"""The backend matrix of the contract base suites: every port's tests run on the memory
implementation, SQLite and PostgreSQL alike, and every test asking for a database runs on
each SQL backend, since what it checks is the store itself, SQL dialect included.

A test takes ``backend`` and asks it for the port it is about; a test about SQL alone
(triggers, migrations, dialect limits) keeps taking ``engine`` from ``tests/conftest.py``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.memory import (
    InMemoryCheckpointStore,
    InMemoryComplianceQueries,
    InMemoryEventStore,
    InMemoryExportLedger,
    InMemoryExportSource,
    InMemoryProjectionStore,
    InMemoryTokenStore,
)
from services.adapters.sql import SqlEventStore, SqlProjectionStore, create_engine, upgrade_schema
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.adapters.sql.export_ledger import SqlExportLedger
from services.adapters.sql.export_source import SqlExportSource
from services.adapters.sql.merkle_tree import SqlMerkleTree
from services.adapters.sql.token_store import SqlTokenStore
from services.auth.ports import TokenStore
from services.checkpointing import CheckpointArchive, CheckpointLedger
from services.clinic_zones import ClinicZones
from services.clock import Clock
from services.exporting.ports import ExportLedger, ExportSource
from services.projecting import Projector
from services.projecting.ports import ProjectionStore
from services.proofs import ProofTree
from services.reading.queries import HistoryQueries
from services.recording.ports import EventStore, LogReader
from tests.conftest import (
    BACKENDS,
    _drop_postgres_schema,
    _postgres_schema,
    fresh_database,
    postgres_url,
)


class LogStore(EventStore, LogReader, Protocol):
    """The log as the recorder writes it and its readers read it."""


class CheckpointStore(CheckpointLedger, CheckpointArchive, Protocol):
    """Signed checkpoints as the writer keeps them and proofs read them."""


PORT_BACKENDS = ["memory", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@dataclass(slots=True, kw_only=True)
class Backend:
    """One backend's implementations of the ports; SQL ones share one fresh database,
    memory ones one set of in-memory state."""

    name: str
    engine: AsyncEngine | None = None
    _tokens: InMemoryTokenStore = field(default_factory=InMemoryTokenStore)
    _log: InMemoryEventStore = field(default_factory=InMemoryEventStore)
    _read_models: InMemoryProjectionStore | None = None
    _checkpoints: InMemoryCheckpointStore | None = None
    _exports: InMemoryExportLedger = field(default_factory=InMemoryExportLedger)

    @property
    def is_sql(self) -> bool:
        return self.engine is not None

    def token_store(self) -> TokenStore:
        if self.engine is None:
            return self._tokens
        return SqlTokenStore(engine=self.engine)

    def event_store(self) -> LogStore:
        """A writer and reader of the backend's one log (each call: another writer)."""
        if self.engine is None:
            return self._log
        return SqlEventStore(engine=self.engine)

    def proof_tree(self) -> ProofTree:
        """The log's Merkle tree, as proofs read it."""
        if self.engine is None:
            return self._log
        return SqlMerkleTree(engine=self.engine)

    def checkpoint_store(self) -> CheckpointStore:
        """Where the backend keeps signed checkpoints (each call: the same ones)."""
        if self.engine is None:
            if self._checkpoints is None:
                self._checkpoints = InMemoryCheckpointStore(log=self._log)
            return self._checkpoints
        return SqlCheckpointStore(engine=self.engine)

    def export_ledger(self) -> ExportLedger:
        """The backend's record of export requests (each call: the same one)."""
        if self.engine is None:
            return self._exports
        return SqlExportLedger(engine=self.engine)

    def export_source(self) -> ExportSource:
        """The backend's log as an export reads it."""
        if self.engine is None:
            return InMemoryExportSource(log=self._log)
        return SqlExportSource(engine=self.engine)

    def projection_store(self) -> ProjectionStore:
        """The backend's read models (each call: another handle on the same ones)."""
        if self.engine is None:
            if self._read_models is None:
                self._read_models = InMemoryProjectionStore(log=self._log)
            return self._read_models
        return SqlProjectionStore(engine=self.engine)

    async def compliance_queries(
        self, *, clock: Clock, zones: ClinicZones | None = None
    ) -> HistoryQueries:
        """The query port on what the log holds now; on SQL, once the projector has folded
        it and stored the verdicts it judged at ``clock``'s instant."""
        if self.engine is None:
            return InMemoryComplianceQueries(log=self._log, clock=clock, zones=zones)
        await Projector(
            store=SqlProjectionStore(engine=self.engine, clock=clock, zones=zones), clock=clock
        ).catch_up()
        return SqlComplianceQueries(engine=self.engine, clock=clock, zones=zones)


@pytest.fixture(params=PORT_BACKENDS)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    """A fresh backend: empty memory, or a freshly migrated SQLite or PostgreSQL."""
    if request.param == "memory":
        yield Backend(name="memory")
        return
    schema = None
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'kapaudit.db'}"
    else:
        schema = await _postgres_schema()
        url = postgres_url(schema)
    engine = create_engine(url)
    try:
        await upgrade_schema(engine)
        yield Backend(name=request.param, engine=engine)
    finally:
        await engine.dispose()
        if schema is not None:
            await _drop_postgres_schema(schema)


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database on each SQL backend in turn (the root conftest's is on one)."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url
