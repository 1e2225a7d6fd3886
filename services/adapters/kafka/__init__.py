"""Kafka adapters: topics, the publishing helper, the recorder subscriber, dead letters,
and the clients' TLS and SASL."""

from services.adapters.kafka.broker import make_broker
from services.adapters.kafka.checkpoints import CHECKPOINT_TOPIC, KafkaCheckpointPublisher
from services.adapters.kafka.dead_letters import KafkaDeadLetterSink
from services.adapters.kafka.publisher import EventPublisher
from services.adapters.kafka.recorder_subscriber import AfterCommit, register_recorder
from services.adapters.kafka.security import KafkaSecurityError, aiokafka_options, kafka_security
from services.adapters.kafka.topic_doubts import TopicMissingError
from services.adapters.kafka.topics import ensure_topics

__all__ = [
    "CHECKPOINT_TOPIC",
    "AfterCommit",
    "EventPublisher",
    "KafkaCheckpointPublisher",
    "KafkaDeadLetterSink",
    "KafkaSecurityError",
    "TopicMissingError",
    "aiokafka_options",
    "ensure_topics",
    "kafka_security",
    "make_broker",
    "register_recorder",
]
