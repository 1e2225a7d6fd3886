"""The recorder signs checkpoints as it records, and a copy of each reaches Kafka."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiokafka import AIOKafkaConsumer

from services.adapters.kafka import CHECKPOINT_TOPIC, EventPublisher
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.adapters.tansu import EmbeddedBroker
from services.chain.checkpoint import open_checkpoint
from services.runtime import running_stack
from services.signing_keys import create_key_file
from services.verification import verify_store
from tests.factories import document
from tests.integration.support import settings_for, wait_until

ORIGIN = "kapaudit.local/log"


async def _published_notes(bootstrap_servers: str, *, within: float = 20.0) -> list[str]:
    consumer = AIOKafkaConsumer(
        CHECKPOINT_TOPIC,
        bootstrap_servers=bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    notes: list[str] = []
    try:
        deadline = asyncio.get_running_loop().time() + within
        while not notes and asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                notes.extend(record.value.decode("utf-8") for record in records)
    finally:
        await consumer.stop()
    return notes


async def test_the_recorder_signs_stores_and_publishes_the_last_events_within_t_seconds(
    kafka: EmbeddedBroker, database_url: str, tmp_path: Path
) -> None:
    verifier = create_key_file(tmp_path / "signing.key", name=ORIGIN)
    settings = settings_for(
        bootstrap_servers=kafka.bootstrap_servers,
        database_url=database_url,
        signing_key_file=tmp_path / "signing.key",
        checkpoint_every_events=1000,
        checkpoint_every_seconds=1,
    )
    docs = [document("session.started", session_id=f"s-{i % 3}") for i in range(30)]
    async with running_stack(settings, project=False, serve_http=False) as stack:
        async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
            await publisher.publish_many(docs)
        checkpoints = SqlCheckpointStore(engine=stack.engine)

        async def signed_all() -> bool:
            latest = await checkpoints.latest()
            return latest is not None and latest.size == len(docs)

        await wait_until(signed_all, what="a checkpoint of all 30 events")
        latest = await checkpoints.latest()
        report = await verify_store(stack.store, verifiers=[verifier], origin=ORIGIN)
    notes = await _published_notes(kafka.bootstrap_servers)
    assert latest is not None
    assert report.intact
    assert report.checkpoint is not None
    assert report.checkpoint.size == len(docs)
    assert latest.note_text in notes
    for note in notes:
        open_checkpoint(note, verifiers=[verifier], origin=ORIGIN)


async def test_the_recorder_signs_a_checkpoint_every_n_events(
    kafka: EmbeddedBroker, database_url: str, tmp_path: Path
) -> None:
    create_key_file(tmp_path / "signing.key", name=ORIGIN)
    settings = settings_for(
        bootstrap_servers=kafka.bootstrap_servers,
        database_url=database_url,
        signing_key_file=tmp_path / "signing.key",
        checkpoint_every_events=5,
        checkpoint_every_seconds=3600,
    )
    docs = [document("session.started", session_id=f"s-{i % 3}") for i in range(12)]
    async with running_stack(settings, project=False, serve_http=False) as stack:
        async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
            await publisher.publish_many(docs)
        checkpoints = SqlCheckpointStore(engine=stack.engine)

        async def signed_some() -> bool:
            latest = await checkpoints.latest()
            return latest is not None and latest.size >= 5

        await wait_until(signed_some, what="a checkpoint of at least 5 events")
