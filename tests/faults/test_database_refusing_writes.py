"""The database up but refusing writes, read-only or out of space: the recorder reports
every failed batch, commits no offset for what it could not store, and records everything
once the database takes writes again."""

from __future__ import annotations

import asyncio
import itertools
import os
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.kafka import EventPublisher, ensure_topics
from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.tansu import EmbeddedBroker
from tests.faults.private_postgres import PrivatePostgres
from tests.faults.reliability import Reliability, ScenarioFigures
from tests.faults.support import (
    Scale,
    clinic_fleet,
    committed_but_not_recorded,
    count_outcome,
    environment,
    event_ids,
    kapaudit,
    projected_to_head,
    read_models,
    rebuilt_read_models,
    recorded_count,
    wait_for,
)

_names = itertools.count(1)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Fault:
    scenario: str
    injected: str
    inject: Callable[[], Awaitable[None]]
    lift: Callable[[], Awaitable[None]]
    error: str
    """What PostgreSQL says, as the recorder's log must show it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _WhileRefused:
    stored: int
    """Log entries the recorder added while writes were refused (must be none)."""
    committed_not_recorded: int
    """The most offsets the group had committed past the log at any sample (must be 0)."""
    failed_batches: int
    """Batches the recorder logged as not recorded and to be retried."""


async def _refuse_writes_mid_stream(
    *,
    kafka: EmbeddedBroker,
    url: str,
    engine: AsyncEngine,
    fault: _Fault,
    scale: Scale,
    reliability: Reliability,
    name: str,
) -> _WhileRefused:
    env = environment(kafka, url)
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    documents = clinic_fleet(scale.events)
    half = len(documents) // 2
    recorder = kapaudit("record", env=env, name=f"{name}-recorder")
    projector = kapaudit("project", env=env, name=f"{name}-projector")
    recorder.output.unlink(missing_ok=True)
    for process in (recorder, projector):
        await process.start()
    try:
        async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
            await publisher.publish_many(documents[:half])

            async def first_half() -> bool:
                return await recorded_count(engine) >= half

            await wait_for(first_half, within=300, what="the first half to be recorded")
            await fault.inject()
            before = await recorded_count(engine)
            await publisher.publish_many(documents[half:])
            worst = 0
            loop = asyncio.get_running_loop()
            until = loop.time() + scale.outage_seconds
            while loop.time() < until:
                worst = max(
                    worst,
                    await committed_but_not_recorded(
                        engine, bootstrap_servers=kafka.bootstrap_servers
                    ),
                )
                await asyncio.sleep(0.5)
            during = _WhileRefused(
                stored=await recorded_count(engine) - before,
                committed_not_recorded=worst,
                failed_batches=recorder.output.read_text().count("not recorded; it will be"),
            )
            await fault.lift()
            back = loop.time()
        acknowledged = event_ids(documents)

        async def all_recorded() -> bool:
            return await recorded_count(engine) >= len(acknowledged)

        await wait_for(all_recorded, within=600, what="recording to resume and finish")
        await wait_for(lambda: projected_to_head(engine), within=600, what="the projector")
        recovery = loop.time() - back
    finally:
        for process in (recorder, projector):
            await process.stop()
    log = recorder.output.read_text()
    outcome = await count_outcome(engine, acknowledged)
    live = await read_models(engine)
    rebuilt = await rebuilt_read_models(engine)
    reliability.add(
        ScenarioFigures.counted(
            outcome,
            scenario=fault.scenario,
            injected=fault.injected,
            recovery_seconds=recovery,
            checks=f"while refused: {during.failed_batches} failed batches logged, "
            f"{during.stored} entries stored, offsets committed past the log: "
            f"{during.committed_not_recorded}; chains "
            f"{'verify' if outcome.chains_intact else 'BROKEN'}; read models "
            f"{'equal' if live == rebuilt else 'DIFFER FROM'} a rebuild",
        )
    )
    assert fault.error in log, f"the recorder's log does not say {fault.error!r}"
    assert during.failed_batches > 0
    assert during.stored == 0
    assert during.committed_not_recorded == 0
    assert outcome.lost == 0, sorted(outcome.missing)[:5]
    assert outcome.duplicated == 0
    assert outcome.recorded == len(acknowledged)
    assert outcome.chains_intact
    assert live == rebuilt
    return during


async def test_a_read_only_database_fails_each_batch_aloud_and_commits_no_offset_for_it(
    kafka: EmbeddedBroker,
    database: tuple[str, AsyncEngine],
    postgres: PrivatePostgres,
    scale: Scale,
    reliability: Reliability,
) -> None:
    url, engine = database

    async def read_only(on: bool) -> None:
        # A reload reaches the sessions already open, so the recorder's pooled
        # connections turn read-only too, as after a failover to a standby.
        await postgres.execute(
            f"ALTER SYSTEM SET default_transaction_read_only = {'on' if on else 'off'}"
        )
        await postgres.execute("SELECT pg_reload_conf()")

    fault = _Fault(
        scenario="PostgreSQL read-only mid-stream",
        injected=f"default_transaction_read_only for {scale.outage_seconds:.0f} s while "
        "clinics publish to Kafka",
        inject=lambda: read_only(True),
        lift=lambda: read_only(False),
        error="read-only transaction",
    )
    await _refuse_writes_mid_stream(
        kafka=kafka,
        url=url,
        engine=engine,
        fault=fault,
        scale=scale,
        reliability=reliability,
        name="read-only",
    )


async def test_a_database_out_of_space_fails_each_batch_aloud_and_commits_no_offset_for_it(
    kafka: EmbeddedBroker,
    postgres: PrivatePostgres,
    scale: Scale,
    reliability: Reliability,
) -> None:
    # The database's tables live on a tablespace of their own on a small tmpfs, which the
    # test fills once the first half is in and grows again to lift the fault. (The WAL
    # stays on the real disk: PostgreSQL stops altogether when the WAL cannot grow, which
    # is an outage, the scenario of test_database_outage.)
    if not postgres.running():
        postgres.start()
    disk = postgres.mount_small_disk(f"disk-{next(_names)}", size_kib=256 * 1024)
    tablespace = disk.name.replace("-", "_")
    await postgres.execute(f"CREATE TABLESPACE {tablespace} LOCATION '{disk}'")
    url = await postgres.create_database(f"full_{tablespace}", tablespace=tablespace)
    engine = create_engine(url)
    await upgrade_schema(engine)

    def used_kib(path: Path) -> int:
        # What the filesystem counts (blocks), not the files' lengths.
        stats = os.statvfs(path)
        return (stats.f_blocks - stats.f_bfree) * stats.f_frsize // 1024

    async def fill() -> None:
        # Just room for what is there: the next relation page that a batch needs fails.
        # The recorder keeps writing between the look and the remount, and tmpfs refuses
        # to shrink below what it holds: look again and retry until it takes.
        for attempt in range(50):
            try:
                PrivatePostgres.resize_disk(disk, size_kib=used_kib(disk) + 8)
                return
            except subprocess.CalledProcessError:
                if attempt == 49:
                    raise
                await asyncio.sleep(0.01)

    async def grow() -> None:
        PrivatePostgres.resize_disk(disk, size_kib=256 * 1024)

    fault = _Fault(
        scenario="PostgreSQL out of space mid-stream",
        injected=f"the database's tablespace full for {scale.outage_seconds:.0f} s while "
        "clinics publish to Kafka",
        inject=fill,
        lift=grow,
        error="No space left on device",
    )
    try:
        await _refuse_writes_mid_stream(
            kafka=kafka,
            url=url,
            engine=engine,
            fault=fault,
            scale=scale,
            reliability=reliability,
            name="out-of-space",
        )
    finally:
        await engine.dispose()
