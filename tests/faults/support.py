"""What every fault scenario shares: the event stream, the processes, and the counting."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from events import TOPIC
from services.adapters.child_processes import die_with_parent
from services.adapters.kafka import EventPublisher
from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.adapters.sql.read_model_tables import projection_checkpoints
from services.adapters.sql.stored_projections import STORED_PROJECTIONS
from services.adapters.sql.tables import event_log, rejected_events
from services.adapters.tansu import EmbeddedBroker
from services.chain.note import Verifier
from services.demo import demo_day_events
from services.projecting import Projector
from services.verification import verify_store

__all__ = [
    "ROOT",
    "Outcome",
    "Process",
    "Scale",
    "clinic_fleet",
    "count_outcome",
    "read_models",
    "wait_for",
]

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = "kapaudit.local/log"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scale:
    """How hard a run pushes: CI's short form, or ``make test-faults``'s full one."""

    full: bool
    events: int
    recorder_kills: int
    projector_kills: int
    outage_seconds: float

    @classmethod
    def from_environment(cls) -> Scale:
        if os.environ.get("KAPAUDIT_FAULTS") == "full":
            return cls(
                full=True,
                events=50_000,
                recorder_kills=20,
                projector_kills=10,
                outage_seconds=30.0,
            )
        return cls(
            full=False, events=4_000, recorder_kills=4, projector_kills=3, outage_seconds=5.0
        )


def clinic_fleet(events: int) -> list[dict[str, Any]]:
    """At least ``events`` contract-valid events: the demo clinic day (consents, REMS
    enrolments, doses, wastes, vitals, discharges, notes, an amendment, planted lapses)
    for as many clinics as it takes, each with sessions of its own, interleaved by time
    as a network of clinics would publish them."""
    documents: list[dict[str, Any]] = []
    copy = 0
    while len(documents) < events:
        text = json.dumps(demo_day_events(clinic_id=f"clinic-f{copy:03d}"))
        documents.extend(json.loads(text.replace('"sess-demo-', f'"sess-f{copy:03d}-')))
        copy += 1
    documents.sort(key=lambda document: str(document["occurred_at"]))
    return documents


class Process:
    """A kapaudit process (``record``, ``project``, ``serve``, or a test entry point)."""

    def __init__(self, *args: str, env: dict[str, str], name: str) -> None:
        self._args = args
        self._env = env
        self.name = name
        self._process: asyncio.subprocess.Process | None = None
        self.output = ROOT / "tests" / "artifacts" / "faults" / f"{name}.log"

    async def start(self) -> None:
        self.output.parent.mkdir(parents=True, exist_ok=True)
        log = self.output.open("ab")
        self._process = await asyncio.create_subprocess_exec(
            *self._args,
            cwd=ROOT,
            env=self._env,
            stdout=log,
            stderr=log,
            preexec_fn=die_with_parent,
        )
        log.close()

    @property
    def returncode(self) -> int | None:
        return None if self._process is None else self._process.returncode

    async def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or committed on the way out."""
        assert self._process is not None
        if self._process.returncode is None:
            self._process.kill()
        await self._process.wait()

    async def exited(self, *, within: float) -> int:
        assert self._process is not None
        return await asyncio.wait_for(self._process.wait(), within)

    async def stop(self) -> None:
        if self._process is None or self._process.returncode is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self._process.wait(), 30)
        except TimeoutError:
            await self.kill()


def kapaudit(command: str, *, env: dict[str, str], name: str) -> Process:
    return Process(sys.executable, "-m", "services.cli.main", command, env=env, name=name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What the log holds against what publishers were told was accepted."""

    acknowledged: int
    recorded: int
    lost: int
    duplicated: int
    rejected: int
    chains_intact: bool
    missing: frozenset[str] = field(default=frozenset())


async def count_outcome(
    engine: AsyncEngine, acknowledged: set[str], *, verifier: Verifier | None = None
) -> Outcome:
    """Counts, and checks every chain, the session owners, and the Merkle tree against
    the newest signed checkpoint (signed by ``verifier`` when one is given)."""
    async with engine.connect() as connection:
        ids = list((await connection.execute(select(event_log.c.event_id))).scalars())
        rejected = (
            await connection.execute(select(func.count()).select_from(rejected_events))
        ).scalar_one()
    counts = Counter(ids)
    missing = frozenset(acknowledged - counts.keys())
    report = await verify_store(
        SqlEventStore(engine=engine),
        verifiers=() if verifier is None else (verifier,),
        origin=None if verifier is None else ORIGIN,
    )
    return Outcome(
        acknowledged=len(acknowledged),
        recorded=len(ids),
        lost=len(missing),
        duplicated=sum(n - 1 for n in counts.values() if n > 1),
        rejected=int(rejected),
        chains_intact=report.intact,
        missing=missing,
    )


def environment(kafka: EmbeddedBroker, database_url: str, **extra: Any) -> dict[str, str]:
    """The environment of every kapaudit process of a scenario: small batches, so that a
    kill lands between commits often."""
    env = {
        **os.environ,
        "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAPAUDIT_DATABASE_URL": database_url,
        "KAPAUDIT_KAFKA_PARTITIONS": "4",
        "KAPAUDIT_RECORDER_BATCH_SIZE": "200",
        "KAPAUDIT_RECORDER_BATCH_TIMEOUT_MS": "50",
        "KAPAUDIT_LOG_LEVEL": "WARNING",
        "KAPAUDIT_HTTP_PORT": "0",
        # Processes run side by side: each takes free metrics ports, never 9101/9102.
        "KAPAUDIT_RECORDER_METRICS_PORT": "0",
        "KAPAUDIT_PROJECTOR_METRICS_PORT": "0",
    }
    if "signing_key" in extra:
        env["KAPAUDIT_SIGNING_KEY_FILE"] = str(extra["signing_key"])
        env["KAPAUDIT_CHECKPOINT_EVERY_EVENTS"] = "1000"
    return env


async def recorded_count(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int(
            (await connection.execute(select(func.count()).select_from(event_log))).scalar_one()
        )


async def committed_offsets(
    *, bootstrap_servers: str, group_id: str = "kapaudit-recorder"
) -> dict[int, int]:
    """The recorders' group's committed offset of each partition (0 where none is)."""
    # A consumer in the group that never subscribes only asks the coordinator for the
    # committed offsets (OffsetFetch); it joins nothing and moves nothing.
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers, group_id=group_id, enable_auto_commit=False
    )
    await consumer.start()
    try:
        committed = {
            partition: await consumer.committed(TopicPartition(TOPIC, partition))
            for partition in range(4)
        }
    finally:
        await consumer.stop()
    return {p: done if done is not None and done >= 0 else 0 for p, done in committed.items()}


async def _entries_by_offset(engine: AsyncEngine, partition: int, *, below: int | None) -> int:
    condition = [event_log.c.kafka_topic == TOPIC, event_log.c.kafka_partition == partition]
    if below is not None:
        condition.append(event_log.c.kafka_offset < below)
    async with engine.connect() as connection:
        return int((await connection.execute(select(func.count()).where(*condition))).scalar_one())


async def recorded_past_committed_offsets(
    engine: AsyncEngine, *, bootstrap_servers: str, group_id: str = "kapaudit-recorder"
) -> int:
    """How many log entries came from offsets the recorders' group has not committed:
    after a death between the two commits, the batch that must come again."""
    committed = await committed_offsets(bootstrap_servers=bootstrap_servers, group_id=group_id)
    ahead = 0
    for partition, floor in committed.items():
        everything = await _entries_by_offset(engine, partition, below=None)
        ahead += everything - await _entries_by_offset(engine, partition, below=floor)
    return ahead


async def committed_but_not_recorded(engine: AsyncEngine, *, bootstrap_servers: str) -> int:
    """How many offsets the recorders' group committed that the log does not hold: a
    commit the database did not keep. With every message a valid event, offsets below the
    committed one are exactly the entries recorded from them."""
    committed = await committed_offsets(bootstrap_servers=bootstrap_servers)
    missing = 0
    for partition, floor in committed.items():
        missing += floor - await _entries_by_offset(engine, partition, below=floor)
    return missing


async def read_models(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every stored projection's rows, in key order: what the dashboards and API read."""
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as connection:
        for stored in STORED_PROJECTIONS.values():
            table = stored.table
            rows = await connection.execute(select(table).order_by(table.c[stored.key_column]))
            snapshot[stored.name] = [tuple(row) for row in rows]
    return snapshot


async def projected_to_head(engine: AsyncEngine) -> bool:
    async with engine.connect() as connection:
        head = (await connection.execute(select(func.max(event_log.c.position)))).scalar()
        done = list((await connection.execute(select(projection_checkpoints.c.position))).scalars())
    return len(done) == len(STORED_PROJECTIONS) and min(done) >= (head or 0)


async def rebuilt_read_models(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """The read models as a fresh rebuild from the log makes them."""
    await Projector(store=SqlProjectionStore(engine=engine)).rebuild()
    return await read_models(engine)


async def wait_for(condition: Any, *, within: float, what: str) -> float:
    """Poll ``condition`` (an async callable) until true; returns the seconds it took."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while not await condition():
        if loop.time() - started > within:
            raise AssertionError(f"timed out after {within:.0f}s waiting for {what}")
        await asyncio.sleep(0.2)
    return loop.time() - started


def now() -> datetime:
    return datetime.now(UTC)


def event_ids(documents: Sequence[dict[str, Any]]) -> set[str]:
    return {str(document["event_id"]) for document in documents}


async def record_all(
    kafka: EmbeddedBroker,
    engine: AsyncEngine,
    documents: Sequence[dict[str, Any]],
    *,
    env: dict[str, str],
    expected: int | None = None,
    name: str = "recorder",
) -> None:
    """Publish ``documents`` and run one recorder process until the log holds
    ``expected`` entries (all of them by default)."""
    recorder = kapaudit("record", env=env, name=name)
    await recorder.start()
    try:
        async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
            await publisher.publish_many(list(documents))
        target = len(documents) if expected is None else expected

        async def recorded() -> bool:
            return await recorded_count(engine) >= target

        await wait_for(recorded, within=600, what=f"{target} events to be recorded")
    finally:
        await recorder.stop()
