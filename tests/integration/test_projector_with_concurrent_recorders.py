"""Two recorder processes commit concurrently; the live projector still sees every event once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from services.adapters.kafka import EventPublisher, ensure_topics
from services.adapters.sql import SqlEventStore, SqlProjectionStore, create_engine, upgrade_schema
from services.adapters.sql.read_model_tables import proj_sessions
from services.adapters.sql.tables import event_log
from services.adapters.tansu import EmbeddedBroker
from services.projecting import Projector
from services.signing_keys import create_key_file
from services.verification import verify_store
from tests.factories import session_documents
from tests.integration.support import wait_until

ROOT = Path(__file__).resolve().parents[2]


async def test_a_live_projector_folds_each_event_once_while_two_recorders_write(
    kafka: EmbeddedBroker, database_url: str, tmp_path: Path
) -> None:
    engine = create_engine(database_url)
    await upgrade_schema(engine)
    store = SqlEventStore(engine=engine)
    await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=4)
    env = {
        **os.environ,
        "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAPAUDIT_DATABASE_URL": database_url,
        "KAPAUDIT_RECORDER_BATCH_SIZE": "20",
        "KAPAUDIT_RECORDER_BATCH_TIMEOUT_MS": "20",
        "KAPAUDIT_LOG_LEVEL": "WARNING",
        "KAPAUDIT_HTTP_PORT": "0",
        # Processes run side by side: each takes free metrics ports, never 9101/9102.
        "KAPAUDIT_RECORDER_METRICS_PORT": "0",
        "KAPAUDIT_PROJECTOR_METRICS_PORT": "0",
        # Both recorders grow one Merkle tree and sign checkpoints of it as they go.
        "KAPAUDIT_SIGNING_KEY_FILE": str(tmp_path / "signing.key"),
        "KAPAUDIT_CHECKPOINT_EVERY_EVENTS": "200",
    }
    verifier = create_key_file(tmp_path / "signing.key", name="kapaudit.local/log")
    recorders = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-m", "services.cli.main", "record", cwd=ROOT, env=env
        )
        for _ in range(2)
    ]
    stop = asyncio.Event()
    projector = Projector(store=SqlProjectionStore(engine=engine), batch_size=15)
    following = asyncio.create_task(projector.run(stop, poll_interval=0.01))
    docs = [
        d
        for s in range(150)
        for d in session_documents(f"s-{s}", 20, start=datetime(2026, 11, 25, tzinfo=UTC))
    ]
    try:
        async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
            for start in range(0, len(docs), 100):
                await publisher.publish_many(docs[start : start + 100])

        async def all_recorded() -> bool:
            return await store.count() >= len(docs)

        await wait_until(all_recorded, within=180, what="both recorders to record everything")

        async def all_projected() -> bool:
            async with engine.connect() as connection:
                done = await connection.execute(select(func.max(proj_sessions.c.last_position)))
                return (done.scalar() or 0) >= len(docs)

        await wait_until(all_projected, within=60, what="the projector to catch up")
    finally:
        stop.set()
        await following
        for recorder in recorders:
            recorder.send_signal(signal.SIGTERM)
        await asyncio.gather(*(r.wait() for r in recorders))
    async with engine.connect() as connection:
        histories = (await connection.execute(select(proj_sessions.c.history_json))).scalars()
        folded = [e["event"]["event_id"] for h in histories for e in json.loads(h)["events"]]
        partitions = set(
            (await connection.execute(select(event_log.c.kafka_partition).distinct())).scalars()
        )
    report = await verify_store(store, verifiers=[verifier], origin="kapaudit.local/log")
    await engine.dispose()
    assert report.intact, (report.broken, report.tree)
    assert report.checkpoint is not None
    assert report.checkpoint.size >= 200
    assert partitions == {0, 1, 2, 3}
    assert len(folded) == len(docs)
    assert set(folded) == {d["event_id"] for d in docs}
