"""A consumer group's lag per partition, read from the broker (for ``kapaudit status``)."""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.security import BaseSecurity

from services.adapters.kafka.security import aiokafka_options

__all__ = ["group_lag"]


async def group_lag(
    *,
    bootstrap_servers: str,
    group_id: str,
    topics: Sequence[str],
    security: BaseSecurity | None = None,
    timeout_ms: int = 5000,
) -> dict[tuple[str, int], int]:
    """(topic, partition) -> messages the group has not committed past yet.

    The consumer never subscribes, so it does not join the group (no rebalance of the
    running recorders); it only reads the group's committed offsets and the ends of the
    partitions. A partition the group never committed counts from its beginning.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        enable_auto_commit=False,
        request_timeout_ms=timeout_ms,
        **aiokafka_options(security),
    )
    try:
        await consumer.start()
        known = await consumer.topics()
        partitions = [
            TopicPartition(topic, partition)
            for topic in topics
            if topic in known
            for partition in sorted(consumer.partitions_for_topic(topic) or ())
        ]
        if not partitions:
            return {}
        ends = await consumer.end_offsets(partitions)
        starts = await consumer.beginning_offsets(partitions)
        lag: dict[tuple[str, int], int] = {}
        for tp in partitions:
            committed = await consumer.committed(tp)
            done = starts[tp] if committed is None else committed
            lag[(tp.topic, tp.partition)] = max(0, ends[tp] - done)
        return lag
    finally:
        await consumer.stop()
