"""Sustained recorder rate into PostgreSQL for 100,000 events via the embedded broker.

Measures, in one run on one machine (these machines are shared and noisy, so
the ratios matter more than the absolute numbers):
- recorder: events/s from the first publish to the last database commit;
- raw consume: events/s of a bare aiokafka consumer reading the same topic
  (no validation, no database), the ceiling the broker allows;
- the ratio of the two.

    make bench                      # 100,000 events into PostgreSQL at 127.0.0.1
    .venv/bin/python bench/recorder_throughput.py --events 20000 --database-url sqlite+aiosqlite:///var/bench.db
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from events import TOPIC
from events.examples import EXAMPLES
from services.adapters.tansu import EmbeddedBroker
from services.config import Settings
from services.runtime import running_stack

console = Console()
_SESSION_TYPES = ["session.started", "vitals.recorded", "dose.administered", "vitals.recorded"]
POSTGRES_DSN = "postgresql://postgres@127.0.0.1:5432/test"


def _events(count: int) -> list[tuple[bytes, bytes]]:
    """``count`` valid events, 20 per session, as (key, value) pairs."""
    start = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
    messages = []
    for i in range(count):
        session = f"bench-{i // 20}"
        doc = copy.deepcopy(EXAMPLES[_SESSION_TYPES[i % len(_SESSION_TYPES)]])
        doc.update(
            event_id=str(uuid.uuid4()),
            session_id=session,
            occurred_at=(start + timedelta(seconds=i)).isoformat(),
        )
        messages.append((session.encode(), json.dumps(doc).encode()))
    return messages


async def _fresh_postgres_schema() -> str:
    connection = await asyncpg.connect(POSTGRES_DSN)
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    await connection.execute(f'CREATE SCHEMA "{schema}"')
    await connection.close()
    return schema


async def _drop_schema(schema: str) -> None:
    connection = await asyncpg.connect(POSTGRES_DSN)
    await connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await connection.close()


async def _publish(bootstrap: str, messages: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        futures = [await producer.send(TOPIC, value, key=key) for key, value in messages]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _raw_consume(bootstrap: str, count: int) -> float:
    consumer = AIOKafkaConsumer(
        TOPIC,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen = 0
    started: float | None = None
    try:
        while seen < count:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            if batches and started is None:
                started = time.perf_counter()
            seen += sum(len(records) for records in batches.values())
            if batches:
                await consumer.commit()
        assert started is not None
        return seen / (time.perf_counter() - started)
    finally:
        await consumer.stop()


async def run(*, events: int, database_url: str | None, batch_size: int) -> dict[str, Any]:
    schema = None
    if database_url is None:
        schema = await _fresh_postgres_schema()
        database_url = f"postgresql+asyncpg://postgres@127.0.0.1:5432/test?search_path={schema}"
    messages = _events(events + 1)
    try:
        async with EmbeddedBroker(port=0) as broker:
            settings = Settings(
                kafka_bootstrap_servers=broker.bootstrap_servers,
                database_url=database_url,
                recorder_batch_size=batch_size,
                recorder_batch_timeout_ms=50,
            )
            async with running_stack(settings, project=False, serve_http=False) as stack:
                # Warm up: the consumer group's first join takes seconds and is not throughput.
                await _publish(broker.bootstrap_servers, messages[:1])
                while await stack.store.count() < 1:  # noqa: ASYNC110 - the database is the signal
                    await asyncio.sleep(0.1)
                with Progress(
                    TextColumn("recording"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=console,
                ) as progress:
                    task = progress.add_task("recording", total=events)
                    started = time.perf_counter()
                    publishing = asyncio.create_task(
                        _publish(broker.bootstrap_servers, messages[1:])
                    )
                    while (recorded := await stack.store.count() - 1) < events:
                        progress.update(task, completed=recorded)
                        await asyncio.sleep(0.25)
                    elapsed = time.perf_counter() - started
                    progress.update(task, completed=recorded)
                    await publishing
            raw_rate = await _raw_consume(broker.bootstrap_servers, events + 1)
    finally:
        if schema is not None:
            await _drop_schema(schema)
    recorder_rate = events / elapsed
    return {
        "events": events,
        "batch_size": batch_size,
        "store": database_url.split("://", 1)[0],
        "recorder_events_per_s": round(recorder_rate),
        "raw_consume_events_per_s": round(raw_rate),
        "recorder_to_raw_consume_ratio": round(recorder_rate / raw_rate, 3),
        "seconds": round(elapsed, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--database-url", default=None, help="default: a fresh schema in PostgreSQL at 127.0.0.1"
    )
    args = parser.parse_args()
    result = asyncio.run(
        run(events=args.events, database_url=args.database_url, batch_size=args.batch_size)
    )
    console.print_json(json.dumps(result))


if __name__ == "__main__":
    main()
