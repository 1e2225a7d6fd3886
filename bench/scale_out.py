"""Scale-out: the recording rate with 1 and with 2 ``kapaudit record`` processes.

For each count, a fresh embedded broker (topic of 12 partitions) and a fresh PostgreSQL
schema; the recorders run as separate processes in the one consumer group
``kapaudit-recorder``, with their default batch settings and signing checkpoints. Once
the group is stable with every member and a warm-up day of events is recorded, the same
200,000 events of the demo day's mix (quick: 20,000) are published as fast as the
producer goes. The rate is those events over the time from the first publish to the
``recorded_at`` of the last of them in ``event_log`` (each batch's instant, taken just
before its transaction commits); the log's row count says when they are all in.

Also reported, to show what bounds the rate: the cores busy over that time (recorders,
PostgreSQL, the broker, the publisher, the whole machine), and how often the log's write
lock (the advisory lock every append holds from reading the stream heads to its commit)
was held and waited for, sampled from ``pg_locks`` 50 times a second. And, from the run
with one recorder, what the log takes in PostgreSQL per event (``pg_total_relation_size``
of ``event_log``, the Merkle tables, and the read models once the projector has folded
the whole log). Why the rate does not double, and what a network of 10,000 clinics needs
instead, is in ``docs/SCALING.md``.

    .venv/bin/python bench/scale_out.py               # 200,000 events
    .venv/bin/python bench/scale_out.py --quick       # 20,000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from figures import Figure, Scale
from processes import (
    POSTGRES_DSN,
    KapauditProcess,
    busy_cpu_seconds,
    children_cpu_seconds,
    cpu_seconds,
    fresh_schema,
    postgres_cpu_seconds,
)
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine
from workload import EVENTS_PER_DAY, BenchEvent, Workload

from events import TOPIC
from services.adapters.kafka import ensure_topics
from services.adapters.sql import SqlProjectionStore, create_engine, upgrade_schema
from services.adapters.sql.tables import event_log
from services.adapters.tansu import EmbeddedBroker
from services.projecting import Projector
from services.signing_keys import create_key_file

__all__ = ["measure"]

BENCH = "Scale-out"
PARTITIONS = 12
GROUP = "kapaudit-recorder"
console = Console(width=200)


@dataclass(frozen=True, slots=True, kw_only=True)
class _LockSamples:
    held: float
    """Share of samples in which a transaction held the log's write lock."""
    waited: float
    """Share of samples in which a transaction waited for it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Run:
    recorders: int
    events: int
    seconds: float
    cpu_seconds: float
    """The recorders' CPU time, all of them together, over ``seconds``."""
    postgres_cpu_seconds: float
    """PostgreSQL's server processes' CPU time over ``seconds``."""
    broker_cpu_seconds: float
    """The embedded broker's CPU time over ``seconds``."""
    bench_cpu_seconds: float
    """This process's (the publisher's) CPU time over ``seconds``."""
    busy_cpu_seconds: float
    """The whole machine's non-idle CPU time over ``seconds`` (other work on the machine
    included)."""
    lock: _LockSamples

    @property
    def rate(self) -> float:
        return self.events / self.seconds


async def _stable_members(bootstrap: str) -> int:
    """How many members the recorders' group has once it is stable (0 while it is not)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        responses = await admin.describe_consumer_groups([GROUP])
    finally:
        await admin.close()
    for response in responses:
        for group in response.groups:
            _error, _name, state, _protocol_type, _protocol, members = group[:6]
            if state == "Stable":
                return len(members)
    return 0


async def _count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        counted = (await connection.execute(select(func.count()).select_from(event_log))).scalar()
    return int(counted or 0)


async def _last_recorded_at(engine: AsyncEngine) -> datetime:
    async with engine.connect() as connection:
        last = (await connection.execute(select(func.max(event_log.c.recorded_at)))).scalar()
    assert isinstance(last, datetime)
    return last


@dataclass(frozen=True, slots=True, kw_only=True)
class _Storage:
    """What the log and its read models take in PostgreSQL, per event recorded
    (``pg_total_relation_size``: table, TOAST and indexes)."""

    events: int
    log: float
    """``event_log``."""
    merkle: float
    """``merkle_leaves`` and ``merkle_nodes``."""
    other: float
    """``session_owners`` and ``checkpoints``."""
    read_models: float
    """The projector's tables, once it has folded the whole log."""


_LOG_TABLES = {
    "log": ("event_log",),
    "merkle": ("merkle_leaves", "merkle_nodes"),
    "other": ("session_owners", "checkpoints"),
    "read_models": ("proj_sessions", "proj_patients", "proj_profiles", "projection_checkpoints"),
}


async def _bytes(engine: AsyncEngine, tables: Sequence[str]) -> int:
    async with engine.connect() as connection:
        total = 0
        for table in tables:
            size = await connection.execute(
                text("SELECT pg_total_relation_size(CAST(:table AS regclass))"), {"table": table}
            )
            total += int(size.scalar_one())
    return total


async def _storage(engine: AsyncEngine) -> _Storage:
    """The log's size now, then the read models' once the projector has folded it all."""
    events = await _count(engine)
    sizes = {part: await _bytes(engine, _LOG_TABLES[part]) for part in ("log", "merkle", "other")}
    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()
    sizes["read_models"] = await _bytes(engine, _LOG_TABLES["read_models"])
    return _Storage(events=events, **{part: size / events for part, size in sizes.items()})


async def _sample_log_lock(schema: str, stop: asyncio.Event) -> _LockSamples:
    """Sample ``pg_locks`` 50 times a second until ``stop``: is the log's write lock (the
    advisory lock keyed by ``event_log``'s oid that every append takes) held, and does a
    transaction wait for it?"""
    connection = await asyncpg.connect(POSTGRES_DSN)
    samples = held = waited = 0
    try:
        key = await connection.fetchval(f"SELECT '\"{schema}\".event_log'::regclass::oid")
        while not stop.is_set():
            row = await connection.fetchrow(
                "SELECT count(*) FILTER (WHERE granted) AS held,"
                " count(*) FILTER (WHERE NOT granted) AS waiting FROM pg_locks"
                " WHERE locktype = 'advisory' AND classid = 0 AND objid = $1",
                key,
            )
            samples += 1
            held += bool(row["held"])
            waited += bool(row["waiting"])
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.02)
    finally:
        await connection.close()
    return _LockSamples(held=held / max(1, samples), waited=waited / max(1, samples))


async def _publish(bootstrap: str, events: Sequence[BenchEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        sends = [await producer.send(TOPIC, e.value, key=e.key) for e in events]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def _wait(
    what: str,
    check: Callable[[], Awaitable[bool]],
    *,
    within: float,
    processes: list[KapauditProcess],
) -> None:
    deadline = time.monotonic() + within
    while not await check():
        for process in processes:
            process.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {within:.0f} s waiting for {what}")
        await asyncio.sleep(0.1)


async def _run(
    recorders: int, workload: Sequence[BenchEvent], *, warm: int, storage: list[_Storage]
) -> _Run:
    """Record ``workload`` with ``recorders`` processes; appends the storage it took to
    ``storage`` when that is empty."""
    timed = workload[warm:]
    async with fresh_schema() as database_url, EmbeddedBroker(port=0) as broker:
        engine = create_engine(database_url)
        keys = tempfile.TemporaryDirectory(prefix="kapaudit-bench-")
        processes: list[KapauditProcess] = []
        try:
            await upgrade_schema(engine)
            bootstrap = broker.bootstrap_servers
            await ensure_topics(bootstrap_servers=bootstrap, partitions=PARTITIONS)
            key_file = Path(keys.name) / "signing.key"
            create_key_file(key_file, name="kapaudit.local/log")
            env = {
                "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "KAPAUDIT_DATABASE_URL": database_url,
                "KAPAUDIT_KAFKA_PARTITIONS": str(PARTITIONS),
                "KAPAUDIT_SIGNING_KEY_FILE": str(key_file),
                "KAPAUDIT_RECORDER_METRICS_PORT": "0",
                "KAPAUDIT_LOG_LEVEL": "WARNING",
            }
            processes = [
                KapauditProcess("record", env=env, name=f"scale-out-{recorders}-recorder-{n}")
                for n in range(1, recorders + 1)
            ]
            for process in processes:
                await process.start()

            async def stable() -> bool:
                return await _stable_members(bootstrap) == recorders

            await _wait("the group to be stable", stable, within=180, processes=processes)
            await _publish(bootstrap, workload[:warm])

            async def warmed() -> bool:
                return await _count(engine) >= warm

            await _wait("the warm-up day", warmed, within=180, processes=processes)
            # A member that joined late would rebalance the group in the timed part.
            if await _stable_members(bootstrap) != recorders:
                raise RuntimeError("the recorders' group changed during the warm-up")
            console.print(f"{recorders} recorder(s): recording {len(timed):,} events ...")
            stop_sampling = asyncio.Event()
            schema = database_url.rsplit("search_path=", 1)[1]
            sampling = asyncio.create_task(_sample_log_lock(schema, stop_sampling))
            cpu_before = sum(cpu_seconds(p.pid) for p in processes)
            postgres_before, busy_before = postgres_cpu_seconds(), busy_cpu_seconds()
            broker_before, bench_before = children_cpu_seconds("tansu"), time.process_time()
            started = datetime.now(UTC)
            await _publish(bootstrap, timed)

            async def recorded() -> bool:
                return await _count(engine) >= warm + len(timed)

            await _wait("every event", recorded, within=1800, processes=processes)
            cpu = sum(cpu_seconds(p.pid) for p in processes) - cpu_before
            postgres_cpu = postgres_cpu_seconds() - postgres_before
            busy = busy_cpu_seconds() - busy_before
            broker_cpu = children_cpu_seconds("tansu") - broker_before
            bench_cpu = time.process_time() - bench_before
            stop_sampling.set()
            lock = await sampling
            seconds = (await _last_recorded_at(engine) - started).total_seconds()
            if not storage:
                storage.append(await _storage(engine))
        finally:
            for process in processes:
                await process.stop()
            await engine.dispose()
            keys.cleanup()
    return _Run(
        recorders=recorders,
        events=len(timed),
        seconds=seconds,
        cpu_seconds=cpu,
        postgres_cpu_seconds=postgres_cpu,
        broker_cpu_seconds=broker_cpu,
        bench_cpu_seconds=bench_cpu,
        busy_cpu_seconds=busy,
        lock=lock,
    )


async def measure(*, scale: Scale, events: int | None = None) -> list[Figure]:
    """Record the same events with 1 and with 2 recorders; their rates and the ratio."""
    count = events if events is not None else scale.of(200_000)
    warm = EVENTS_PER_DAY
    workload = list(Workload(events=warm + count))
    storage: list[_Storage] = []
    one = await _run(1, workload, warm=warm, storage=storage)
    two = await _run(2, workload, warm=warm, storage=storage)
    ratio = two.rate / one.rate
    size = storage[0]
    stored = f"after recording {size.events:,} events; pg_total_relation_size, indexes included"
    return [
        *(
            Figure(
                bench=BENCH,
                subject=f"kapaudit record x {run.recorders}",
                value=round(run.rate),
                unit="events/s",
                note=f"{run.events:,} events in {run.seconds:.1f} s; cores busy: "
                f"recorders {run.cpu_seconds / run.seconds:.2f}, PostgreSQL "
                f"{run.postgres_cpu_seconds / run.seconds:.2f}, broker "
                f"{run.broker_cpu_seconds / run.seconds:.2f}, publisher "
                f"{run.bench_cpu_seconds / run.seconds:.2f}, machine "
                f"{run.busy_cpu_seconds / run.seconds:.2f} of {os.cpu_count()}; the log's "
                f"write lock held in {run.lock.held:.0%} of samples, waited for in "
                f"{run.lock.waited:.0%}",
            )
            for run in (one, two)
        ),
        Figure(
            bench=BENCH,
            subject="2 recorders / 1 recorder",
            value=round(ratio, 2),
            unit="x",
            note="one consumer group, 12 partitions; see docs/SCALING.md",
        ),
        Figure(
            bench=BENCH, subject="event_log per event", value=round(size.log), unit="B", note=stored
        ),
        Figure(
            bench=BENCH,
            subject="Merkle leaves and nodes per event",
            value=round(size.merkle),
            unit="B",
            note=f"session_owners and checkpoints: {size.other:.0f} B per event",
        ),
        Figure(
            bench=BENCH,
            subject="read models per event",
            value=round(size.read_models),
            unit="B",
            note="proj_* tables once the projector has folded the log",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20,000 events instead of 200,000")
    parser.add_argument("--events", type=int, default=None, help="override the event count")
    args = parser.parse_args()
    figures = asyncio.run(measure(scale=Scale(quick=args.quick), events=args.events))
    table = Table(title=BENCH)
    for column in ("subject", "value", "note"):
        table.add_column(column)
    for figure in figures:
        table.add_row(figure.subject, f"{figure.value:,} {figure.unit}", figure.note)
    console.print(table)


if __name__ == "__main__":
    main()
