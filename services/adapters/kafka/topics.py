"""Topic creation: explicit, because brokers auto-create with the wrong partition count."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from faststream.security import BaseSecurity

from events import ACCESS_TOPIC, DLQ_TOPIC, TOPIC
from services.adapters.kafka.checkpoints import CHECKPOINT_TOPIC
from services.adapters.kafka.security import aiokafka_options

__all__ = ["ensure_topics"]


async def ensure_topics(
    *,
    bootstrap_servers: str,
    partitions: int,
    replication_factor: int = 1,
    security: BaseSecurity | None = None,
) -> list[str]:
    """Create the event, access, dead-letter and checkpoint topics when absent; return the
    ones created. The checkpoint topic has one partition, so its notes stay in order.
    ``security`` as for ``make_broker``."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap_servers,
        client_id="kapaudit-admin",
        **aiokafka_options(security),
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [
            NewTopic(name, num_partitions=partitions, replication_factor=replication_factor)
            for name in (TOPIC, ACCESS_TOPIC, DLQ_TOPIC)
            if name not in existing
        ]
        if CHECKPOINT_TOPIC not in existing:
            wanted.append(
                NewTopic(CHECKPOINT_TOPIC, num_partitions=1, replication_factor=replication_factor)
            )
        if not wanted:
            return []
        try:
            await admin.create_topics(wanted)
        except TopicAlreadyExistsError:
            # Another kapaudit process created them between our list and create.
            return []
        return [topic.name for topic in wanted]
    finally:
        await admin.close()
