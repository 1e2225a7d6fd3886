"""B1 durable ingest's two baselines: the asyncpg COPY ceiling and the eventsourcing peer.

Both record the same events (``bench.workload``: the demo day's mix across 20 clinics)
into PostgreSQL in batches of the recorder's size, one transaction per batch, each in a
fresh schema that is dropped afterwards. Only the recording is timed: the events are
made before the clock starts and the tables are created before it too.

- the ceiling (``copy_ceiling``): asyncpg ``copy_records_to_table`` of kapaudit's own
  ``event_log`` rows, hash-chained in Python as the store chains them, into a table of
  ``event_log``'s shape. What PostgreSQL itself takes on this machine, with the hashing.
- the peer (``eventsourcing_peer``): the ``eventsourcing`` library (PostgreSQL, psycopg 3)
  recording each stream (a session's, or a patient's for events of no session) as one
  aggregate and saving a batch's aggregates with one ``Application.save``.

    .venv/bin/python bench/b1_baselines.py --events 50000
    .venv/bin/python bench/b1_baselines.py --events 1000000 --batch-size 500

Figures (2 shared cores, batches of 500, ``--events 50000``, 2026-12-04, load 1.1-2.7 from
other jobs; six runs): ceiling 18,000-60,000 events/s, peer 5,200-10,900 events/s; the
peer is 0.16-0.28 of the ceiling measured in the same run, so compare within a run.
Building the ceiling's rows and hash chain alone takes about 4 us an event (about 235,000
events/s), so the ceiling is PostgreSQL's COPY, its five indexes and the commits. In the
peer, about a fifth of the time under cProfile is the empty SELECT that the repository
makes for each stream's first event.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4, uuid5

import asyncpg
import psycopg
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate, event
from figures import Figure
from psycopg import sql
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable
from workload import BenchEvent, Workload

from events import TOPIC
from services.adapters.sql.tables import event_log
from services.chain import GENESIS_HASH, chain_hash, record_bytes

__all__ = ["BENCH", "POSTGRES_DSN", "copy_ceiling", "eventsourcing_peer", "main"]

BENCH = "B1 durable ingest"
POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"
_PARTITIONS = 12
"""The recorder's topics' default partition count (``KAPAUDIT_KAFKA_PARTITIONS``), so that
the ceiling's rows carry Kafka coordinates of the same size as the recorder's."""

console = Console()
OnBatch = Callable[[int], object]
"""Told how many events a committed batch held (a progress bar's ``advance``)."""


def _batches(events: Sequence[BenchEvent], size: int) -> Iterator[Sequence[BenchEvent]]:
    if size < 1:
        raise ValueError(f"batch size must be at least 1, not {size}")
    for start in range(0, len(events), size):
        yield events[start : start + size]


def _schema_name(prefix: str) -> str:
    return f"{prefix}_{uuid4().hex[:8]}"


# --- (a) the ceiling: asyncpg COPY ------------------------------------------------------

_COPY_COLUMNS = [column.name for column in event_log.columns if column.name != "position"]
"""Every ``event_log`` column but ``position``, which its sequence fills as on insert."""


def event_log_ddl() -> list[str]:
    """``CREATE TABLE event_log`` with its primary key and unique constraints, and its
    indexes, as PostgreSQL gets them from ``services.adapters.sql.tables`` (which the
    migrations match). The append-only triggers are left out: they fire on UPDATE,
    DELETE and TRUNCATE, never on COPY or INSERT."""
    dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
    statements = [str(CreateTable(event_log).compile(dialect=dialect))]
    statements += [
        str(CreateIndex(index).compile(dialect=dialect))
        for index in sorted(event_log.indexes, key=lambda index: str(index.name))
    ]
    return statements


class _Chain:
    """Per-stream chain heads and per-partition offsets, kept in memory across batches.

    The store reads its stream heads from the database in each batch's transaction; the
    ceiling, the only writer of its fresh table, keeps them here instead.
    """

    def __init__(self) -> None:
        self.heads: dict[str, tuple[int, str]] = {}
        self.offsets = [0] * _PARTITIONS

    def rows(self, batch: Sequence[BenchEvent], recorded_at: datetime) -> list[tuple[Any, ...]]:
        """The batch's ``event_log`` rows in ``_COPY_COLUMNS`` order, chained as
        ``services.recording.append_plan`` chains them (``record_bytes``, ``chain_hash``)."""
        rows = []
        for item in batch:
            sequence, prev_hash = self.heads.get(item.stream_id, (0, GENESIS_HASH))
            sequence += 1
            event_json = item.value.decode()
            record = record_bytes(
                event_json=event_json,
                stream_id=item.stream_id,
                sequence=sequence,
                recorded_at=recorded_at,
            )
            digest = chain_hash(prev_hash=prev_hash, record=record)
            self.heads[item.stream_id] = (sequence, digest)
            partition = zlib.crc32(item.key) % _PARTITIONS
            offset = self.offsets[partition]
            self.offsets[partition] = offset + 1
            rows.append(
                (
                    item.event_id,
                    item.stream_id,
                    sequence,
                    item.event_type,
                    1,  # schema_version: every workload event is version 1
                    item.clinic_id,
                    item.patient_id,
                    item.session_id,
                    item.occurred_at,
                    recorded_at,
                    event_json,
                    prev_hash,
                    digest,
                    TOPIC,
                    partition,
                    offset,
                )
            )
        return rows


@contextlib.asynccontextmanager
async def _asyncpg_schema(dsn: str, prefix: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection whose ``search_path`` is a fresh schema, dropped on the way out."""
    schema = _schema_name(prefix)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        connection = await asyncpg.connect(dsn, server_settings={"search_path": schema})
        try:
            yield connection
        finally:
            await connection.close()
    finally:
        await admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await admin.close()


async def copy_ceiling(
    events: Sequence[BenchEvent],
    *,
    batch_size: int,
    dsn: str = POSTGRES_DSN,
    on_batch: OnBatch | None = None,
) -> Figure:
    """Events/s of asyncpg COPY of the events' ``event_log`` rows, one transaction a batch.

    Timed per batch: building the rows (decoding the canonical JSON, the record bytes
    and the SHA-256 chain hash, as the store does) and COPY plus commit. Not done, unlike
    the recorder: validation, duplicate and session-ownership checks, reading stream
    heads from the database, the Merkle leaves and nodes, Kafka offsets.
    """
    chain = _Chain()
    async with _asyncpg_schema(dsn, "b1_copy") as connection:
        for statement in event_log_ddl():
            await connection.execute(statement)
        started = time.perf_counter()
        for batch in _batches(events, batch_size):
            rows = chain.rows(batch, datetime.now(UTC))
            async with connection.transaction():
                await connection.copy_records_to_table(
                    "event_log", records=rows, columns=_COPY_COLUMNS
                )
            if on_batch is not None:
                on_batch(len(batch))
        elapsed = time.perf_counter() - started
        stored = await connection.fetchval("SELECT count(*) FROM event_log")
    if stored != len(events):
        raise AssertionError(f"COPY stored {stored} rows of {len(events)} events")
    return Figure(
        bench=BENCH,
        subject="asyncpg COPY (ceiling)",
        value=round(len(events) / elapsed),
        unit="events/s",
        note=(
            f"{len(events):,} events, batches of {batch_size:,}, one transaction each, into "
            "a table of event_log's shape (same keys and indexes); includes building the "
            "rows and their SHA-256 hash chain in Python; no validation, no Merkle tree"
        ),
    )


# --- (b) the peer: the eventsourcing library --------------------------------------------

_STREAMS = UUID("6f0c3b1e-4c55-4f0e-9d7e-2b8f5a9c1d30")
"""Namespace of the aggregates' UUID5 ids (the library's default id type is UUID)."""


class AuditStream(Aggregate):
    """One audit stream as an ``eventsourcing`` aggregate: a session's events, or a
    patient's for events of no session, as kapaudit chains them. Its first event creates
    it, so each workload event is exactly one stored event. Each stored event holds the
    fields kapaudit keeps in columns and the event's canonical JSON as text."""

    @staticmethod
    def create_id(stream_id: str) -> UUID:
        return uuid5(_STREAMS, stream_id)

    @event("Opened")
    def __init__(
        self,
        *,
        stream_id: str,
        event_id: str,
        event_type: str,
        clinic_id: str,
        patient_id: str,
        session_id: str | None,
        occurred_at: datetime,
        event_json: str,
    ) -> None:
        self.stream_id = stream_id
        self.recorded = 1

    @event("Recorded")
    def record(
        self,
        *,
        event_id: str,
        event_type: str,
        clinic_id: str,
        patient_id: str,
        session_id: str | None,
        occurred_at: datetime,
        event_json: str,
    ) -> None:
        self.recorded += 1


class AuditTrail(Application[UUID]):
    """The peer's application: records workload events on their streams' aggregates."""

    def record(self, batch: Sequence[BenchEvent]) -> None:
        """Record one batch in one transaction: each event is triggered on its stream's
        aggregate (got from the repository, created if the stream is new), then every
        aggregate the batch touched is saved together with one ``save``."""
        touched: dict[UUID, AuditStream] = {}
        for item in batch:
            fields: dict[str, Any] = {
                "event_id": item.event_id,
                "event_type": item.event_type,
                "clinic_id": item.clinic_id,
                "patient_id": item.patient_id,
                "session_id": item.session_id,
                "occurred_at": item.occurred_at,
                "event_json": item.value.decode(),
            }
            aggregate_id = AuditStream.create_id(item.stream_id)
            stream = touched.get(aggregate_id)
            if stream is None:
                try:
                    stream = self.repository.get(aggregate_id)
                except AggregateNotFoundError:
                    touched[aggregate_id] = AuditStream(stream_id=item.stream_id, **fields)
                    continue
                touched[aggregate_id] = stream
            stream.record(**fields)
        self.save(*touched.values())


def _peer_env(dsn: str, schema: str) -> dict[str, str]:
    params = psycopg.conninfo.conninfo_to_dict(dsn)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": str(params.get("dbname", "postgres")),
        "POSTGRES_HOST": str(params.get("host", "127.0.0.1")),
        "POSTGRES_PORT": str(params.get("port", "5432")),
        "POSTGRES_USER": str(params.get("user", "postgres")),
        "POSTGRES_PASSWORD": str(params.get("password", "")),
        "POSTGRES_SCHEMA": schema,
        # The aggregate cache, as a long-running recorder would have it: a stream already
        # seen is not re-read from the database; one never seen costs one empty SELECT.
        # No fast-forward and no deep copy: this process is the only writer.
        "AGGREGATE_CACHE_MAXSIZE": "0",  # unbounded
        "AGGREGATE_CACHE_FASTFORWARD": "n",
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }


@contextlib.contextmanager
def _psycopg_schema(dsn: str, prefix: str) -> Iterator[tuple[psycopg.Connection[Any], str]]:
    schema = _schema_name(prefix)
    with psycopg.connect(dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            yield admin, schema
        finally:
            admin.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def eventsourcing_peer(
    events: Sequence[BenchEvent],
    *,
    batch_size: int,
    dsn: str = POSTGRES_DSN,
    on_batch: OnBatch | None = None,
) -> Figure:
    """Events/s of the ``eventsourcing`` library recording the events on PostgreSQL.

    What a user of the library would write for this log: one aggregate per stream, the
    application's repository with its aggregate cache, and one ``Application.save`` of
    every aggregate a batch touched, which the library's ``PostgresApplicationRecorder``
    writes in one transaction (table lock, one INSERT of the batch's events from an
    array, their notification ids returned). Optimistic concurrency is the library's:
    the primary key (originator id, version). No validation, no hash chain, no
    duplicate check by event id: the library has none of these.
    """
    with _psycopg_schema(dsn, "b1_peer") as (admin, schema):
        application = AuditTrail(env=_peer_env(dsn, schema))
        try:
            started = time.perf_counter()
            for batch in _batches(events, batch_size):
                application.record(batch)
                if on_batch is not None:
                    on_batch(len(batch))
            elapsed = time.perf_counter() - started
        finally:
            application.close()
        # The library names an application's table after it ("<name>_events").
        table = sql.Identifier(schema, f"{AuditTrail.name.lower()}_events")
        query = sql.SQL("SELECT count(*) FROM {}").format(table)
        row = admin.execute(query).fetchone()
    stored = None if row is None else row[0]
    if stored != len(events):
        raise AssertionError(f"eventsourcing stored {stored} events of {len(events)}")
    return Figure(
        bench=BENCH,
        subject="eventsourcing library (peer)",
        value=round(len(events) / elapsed),
        unit="events/s",
        note=(
            f"{len(events):,} events, one aggregate per session (or patient) stream, one "
            f"Application.save per batch of {batch_size:,}; eventsourcing on PostgreSQL "
            "(psycopg 3), aggregate cache on; no validation, no hash chain"
        ),
    )


# --- the script ---------------------------------------------------------------------------


def _progress(label: str) -> Progress:
    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def run(*, events: int, batch_size: int, dsn: str = POSTGRES_DSN) -> list[Figure]:
    """Both baselines on the same ``events`` workload events, one after the other."""
    workload = list(Workload(events=events))
    figures = []
    with _progress("asyncpg COPY (ceiling)") as progress:
        task = progress.add_task("copy", total=len(workload))
        figures.append(
            asyncio.run(
                copy_ceiling(
                    workload,
                    batch_size=batch_size,
                    dsn=dsn,
                    on_batch=lambda n: progress.advance(task, n),
                )
            )
        )
    with _progress("eventsourcing (peer)") as progress:
        task = progress.add_task("peer", total=len(workload))
        figures.append(
            eventsourcing_peer(
                workload,
                batch_size=batch_size,
                dsn=dsn,
                on_batch=lambda n: progress.advance(task, n),
            )
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument(
        "--batch-size", type=int, default=500, help="the recorder's default batch size"
    )
    parser.add_argument("--dsn", default=POSTGRES_DSN, help="PostgreSQL (a schema is made)")
    args = parser.parse_args()
    for figure in run(events=args.events, batch_size=args.batch_size, dsn=args.dsn):
        console.print(
            f"[bold]{figure.bench}[/]: {figure.subject}: "
            f"[bold]{figure.value:,.0f} {figure.unit}[/]\n  {figure.note}",
            highlight=False,
        )


if __name__ == "__main__":
    main()
