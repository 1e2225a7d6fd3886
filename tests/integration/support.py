"""Helpers for tests against the real broker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from events import DLQ_TOPIC
from services.adapters.sql.read_model_tables import projection_checkpoints
from services.adapters.sql.stored_projections import STORED_PROJECTIONS
from services.adapters.sql.tables import event_log
from services.config import Settings


def settings_for(*, bootstrap_servers: str, database_url: str, **extra: Any) -> Settings:
    """Settings that ignore the developer's environment. Every port is 0 (a free one), so
    that stacks of tests running side by side never collide on 8080, 9101 or 9102."""
    chosen: dict[str, Any] = {
        "kafka_partitions": 4,
        "recorder_batch_timeout_ms": 50,
        "http_port": 0,
        "recorder_metrics_port": 0,
        "projector_metrics_port": 0,
    }
    return Settings(
        kafka_bootstrap_servers=bootstrap_servers,
        database_url=database_url,
        **(chosen | extra),
    )


async def wait_until(
    condition: Callable[[], Awaitable[bool]], *, within: float = 60.0, what: str = "condition"
) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {within}s waiting for {what}")
        await asyncio.sleep(0.1)


async def produce_raw(
    bootstrap_servers: str, topic: str, messages: list[tuple[bytes | None, bytes]]
) -> None:
    """Publish (key, value) pairs with a plain aiokafka producer, as a non-Python service would."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers, acks="all", max_request_size=2 * 1024 * 1024
    )
    await producer.start()
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


async def read_dead_letters(
    bootstrap_servers: str, *, count: int, within: float = 30.0
) -> list[dict[str, Any]]:
    """Read ``count`` dead letters: value, key and the kapaudit headers."""
    consumer = AIOKafkaConsumer(
        DLQ_TOPIC,
        bootstrap_servers=bootstrap_servers,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    letters: list[dict[str, Any]] = []
    try:
        deadline = asyncio.get_running_loop().time() + within
        while len(letters) < count and asyncio.get_running_loop().time() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    headers = {k: v.decode() for k, v in record.headers}
                    letters.append(
                        {
                            "value": record.value,
                            "key": record.key,
                            "reason": headers.get("kapaudit-reason"),
                            "errors": json.loads(headers.get("kapaudit-errors", "[]")),
                            "topic": headers.get("kapaudit-source-topic"),
                            "offset": int(headers.get("kapaudit-source-offset", "-1")),
                            "payload": headers.get("kapaudit-payload"),
                            "original_bytes": int(headers.get("kapaudit-original-bytes", "-1")),
                            "original_sha256": headers.get("kapaudit-original-sha256"),
                        }
                    )
    finally:
        await consumer.stop()
    return letters


async def projections_caught_up(engine: AsyncEngine, *, events: int) -> bool:
    """The log holds ``events`` events and every projection has folded all of them."""
    async with engine.connect() as connection:
        count, last = (
            await connection.execute(select(func.count(), func.max(event_log.c.position)))
        ).one()
        checkpoints = list(
            (await connection.execute(select(projection_checkpoints.c.position))).scalars()
        )
    return (
        count >= events
        and len(checkpoints) == len(STORED_PROJECTIONS)
        and min(checkpoints) >= (last or 0)
    )
