"""A recorder killed mid-stream and restarted loses nothing and records nothing twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from events import ACCESS_TOPIC
from services.adapters.kafka import EventPublisher, ensure_topics
from services.adapters.sql import SqlEventStore, create_engine, upgrade_schema
from services.adapters.tansu import EmbeddedBroker
from services.verification import verify_log
from tests.factories import document, session_documents
from tests.integration.support import wait_until

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 2000
READS = 200
"""Of the ``EVENTS``, how many are reads on the access topic: batches mix both topics."""


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[SqlEventStore]:
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    try:
        yield SqlEventStore(engine=engine)
    finally:
        await engine.dispose()


def _env(kafka: EmbeddedBroker, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAPAUDIT_DATABASE_URL": database_url,
        "KAPAUDIT_RECORDER_BATCH_SIZE": "100",
        "KAPAUDIT_RECORDER_BATCH_TIMEOUT_MS": "50",
        "KAPAUDIT_LOG_LEVEL": "WARNING",
        "KAPAUDIT_HTTP_PORT": "0",
        # Processes run side by side: each takes free metrics ports, never 9101/9102.
        "KAPAUDIT_RECORDER_METRICS_PORT": "0",
        "KAPAUDIT_PROJECTOR_METRICS_PORT": "0",
    }


async def _publish(kafka: EmbeddedBroker) -> set[str]:
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    docs = [
        doc
        for s in range((EVENTS - READS) // 20)
        for doc in session_documents(f"s-{s}", 20, start=datetime(2026, 11, 25, tzinfo=UTC))
    ]
    # Without a session: a read may be recorded before the session's first event.
    reads = [
        document("access.recorded", patient_id=f"pt-{r % 7}", session_id=None) for r in range(READS)
    ]
    async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
        await asyncio.gather(
            publisher.publish_many(docs), publisher.publish_many(reads, topic=ACCESS_TOPIC)
        )
    return {doc["event_id"] for doc in docs + reads}


async def _spawn(*args: str, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        *args, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )


async def _assert_all_recorded_once(store: SqlEventStore, expected: set[str]) -> None:
    rows = []
    after = 0
    while batch := await store.rows(after_position=after, limit=1000):
        rows.extend(batch)
        after = batch[-1].position
    assert len(rows) == len(expected)
    assert {row.event_id for row in rows} == expected
    assert (await verify_log(store.rows_by_stream())).intact


async def test_a_recorder_dying_between_database_commit_and_offset_commit_records_nothing_twice(
    kafka: EmbeddedBroker, database_url: str, store: SqlEventStore
) -> None:
    env = _env(kafka, database_url)
    expected = await _publish(kafka)
    crashing = await _spawn(
        sys.executable, "-m", "tests.integration.crashing_recorder", "3", env=env
    )
    output, _ = await asyncio.wait_for(crashing.communicate(), timeout=120)
    assert crashing.returncode == 17, output.decode()
    recorded_before_restart = await store.count()
    assert 0 < recorded_before_restart < EVENTS

    survivor = await _spawn(sys.executable, "-m", "services.cli.main", "record", env=env)
    try:

        async def caught_up() -> bool:
            return await store.count() >= EVENTS

        await wait_until(caught_up, within=120, what="the restarted recorder to catch up")
        await asyncio.sleep(1)  # any redelivery would land in this second
        await _assert_all_recorded_once(store, expected)
    finally:
        survivor.send_signal(signal.SIGTERM)
        await asyncio.wait_for(survivor.wait(), timeout=30)


async def test_a_recorder_killed_with_sigkill_mid_stream_loses_nothing(
    kafka: EmbeddedBroker, database_url: str, store: SqlEventStore
) -> None:
    env = _env(kafka, database_url)
    expected = await _publish(kafka)
    victim = await _spawn(sys.executable, "-m", "services.cli.main", "record", env=env)

    async def started_recording() -> bool:
        return await store.count() > 0

    await wait_until(started_recording, within=60, what="the first commit")
    victim.kill()
    await victim.wait()
    assert await store.count() < EVENTS

    survivor = await _spawn(sys.executable, "-m", "services.cli.main", "record", env=env)
    try:

        async def caught_up() -> bool:
            return await store.count() >= EVENTS

        await wait_until(caught_up, within=120, what="the restarted recorder to catch up")
        await asyncio.sleep(1)
        await _assert_all_recorded_once(store, expected)
    finally:
        survivor.send_signal(signal.SIGTERM)
        await asyncio.wait_for(survivor.wait(), timeout=30)
